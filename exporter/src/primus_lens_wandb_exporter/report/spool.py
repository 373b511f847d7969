"""On-disk spool for bodies the server did not take in time; replayed later, by any process.

A file is one gzip'd request body, written to a temp name and renamed into place, so a reader
never sees half a file (a crash leaves only a `.tmp-*` that is ignored and later removed). The
name carries what replay and accounting need without opening the file:

    <ns since epoch, 20 digits>-<pid>-<seq>.<kind>.<points>p.<rows>r.json.gz

so a directory listing sorts oldest first. A process replaying a file first renames it to
`<name>.claimed-<host>-<pid>`: two processes on one node (ranks sharing the spool) never send the
same file twice at the same time, and a claim left by a dead process is taken back.

The spool is bounded (max_bytes, PRIMUS_LENS_WANDB_SPOOL_MAX_MB): to admit a new file the OLDEST
files are deleted and their points counted as dropped, the same newest-wins rule as the memory
queue. The bound is exact for one process; processes sharing a directory see each other's files
at the next rescan, so together they may overshoot by up to RESCAN_EVERY files each.
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

_NAME = re.compile(r"^(\d{20})-(\d+)-(\d+)\.(metrics|detection)\.(\d+)p\.(\d+)r\.json\.gz$")
_CLAIMED = re.compile(r"^(?P<name>.+\.json\.gz)\.claimed-(?P<host>[^/]+)-(?P<pid>\d+)$")
STALE_TMP_S = 3600.0
RESCAN_EVERY = 256


@dataclass(frozen=True)
class SpoolEntry:
    path: str  # the claimed path while it is being replayed
    kind: str  # "metrics" or "detection"
    points: int
    rows: int
    writer_pid: int = 0  # the process that spooled it: its own replays count as its sends


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


class Spool:
    def __init__(self, directory: str, max_bytes: int, on_evict: Callable[[SpoolEntry], None]) -> None:
        self.directory = directory
        self._max_bytes = max(0, max_bytes)
        self._on_evict = on_evict
        self._seq = 0
        self._total_bytes: Optional[int] = None
        self._writes_since_scan = 0
        self._host = socket.gethostname().replace("-", "_") or "host"

    # ---- write ------------------------------------------------------------------------------

    def write(self, kind: str, gzip_body: bytes, points: int, rows: int) -> bool:
        """Atomically add one body. False when it could not be written (and nothing was)."""
        self._seq += 1
        name = "%020d-%d-%d.%s.%dp.%dr.json.gz" % (time.time_ns(), os.getpid(), self._seq, kind, points, rows)
        final = os.path.join(self.directory, name)
        temp = os.path.join(self.directory, ".tmp-%d-%d" % (os.getpid(), self._seq))
        try:
            os.makedirs(self.directory, exist_ok=True)
            self._make_room(len(gzip_body))
            with open(temp, "wb") as handle:
                handle.write(gzip_body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
            return True
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass
            return False

    def _make_room(self, incoming: int) -> None:
        # A directory scan per write would make a long outage quadratic (tens of thousands of
        # files), so the total is kept as a running sum and re-measured every RESCAN_EVERY
        # writes (other processes sharing the directory are seen then) or when it looks full.
        self._writes_since_scan += 1
        total = self._total_bytes
        if total is None or self._writes_since_scan >= RESCAN_EVERY:
            total = self._scan()[1]
        if total + incoming > self._max_bytes:
            sizes, total = self._scan()
            for name, size in sizes:  # oldest first
                if total + incoming <= self._max_bytes:
                    break
                entry = self._claim(name)
                if entry is None:
                    continue
                self.remove(entry)
                total -= size
                self._on_evict(entry)
        self._total_bytes = total + incoming

    def _scan(self) -> Tuple[List[Tuple[str, int]], int]:
        """(name, size) of the ready files, oldest first, and their total."""
        sizes = []
        for name in self._ready_files():
            try:
                sizes.append((name, os.path.getsize(os.path.join(self.directory, name))))
            except OSError:
                continue
        total = sum(size for _, size in sizes)
        self._total_bytes = total
        self._writes_since_scan = 0
        return sizes, total

    # ---- replay -----------------------------------------------------------------------------

    def _ready_files(self) -> List[str]:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        return sorted(n for n in names if _NAME.match(n))

    def has_files(self) -> bool:
        return bool(self._ready_files())

    def reclaim_abandoned(self) -> None:
        """Give back claims of dead processes on this host; remove stale temp files."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        now = time.time()
        for name in names:
            path = os.path.join(self.directory, name)
            claimed = _CLAIMED.match(name)
            try:
                if claimed and claimed.group("host") == self._host and not _pid_alive(int(claimed.group("pid"))):
                    os.replace(path, os.path.join(self.directory, claimed.group("name")))
                elif name.startswith(".tmp-") and now - os.path.getmtime(path) > STALE_TMP_S:
                    os.unlink(path)
            except OSError:
                continue

    def claim_oldest(self, limit: int) -> List[SpoolEntry]:
        entries: List[SpoolEntry] = []
        for name in self._ready_files():
            if len(entries) >= limit:
                break
            entry = self._claim(name)
            if entry is not None:
                entries.append(entry)
        return entries

    def _claim(self, name: str) -> Optional[SpoolEntry]:
        match = _NAME.match(name)
        if match is None:
            return None
        claimed = os.path.join(self.directory, "%s.claimed-%s-%d" % (name, self._host, os.getpid()))
        try:
            os.rename(os.path.join(self.directory, name), claimed)
        except OSError:
            return None  # another process claimed it first
        return SpoolEntry(claimed, match.group(4), int(match.group(5)), int(match.group(6)), int(match.group(2)))

    @staticmethod
    def read(entry: SpoolEntry) -> Optional[bytes]:
        try:
            with open(entry.path, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    @staticmethod
    def remove(entry: SpoolEntry) -> None:
        try:
            os.unlink(entry.path)
        except OSError:
            pass

    def release(self, entry: SpoolEntry) -> None:
        """Not delivered this time: put it back under its ready name for a later replay."""
        match = _CLAIMED.match(os.path.basename(entry.path))
        if match is None:
            return
        try:
            os.replace(entry.path, os.path.join(self.directory, match.group("name")))
        except OSError:
            pass

"""The spool: atomic files, oldest-first replay, exclusive claims, a size bound."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

from primus_lens_wandb_exporter.report.spool import Spool, SpoolEntry


def make(directory: Path, max_bytes: int = 1 << 20) -> tuple[Spool, List[SpoolEntry]]:
    evicted: List[SpoolEntry] = []
    return Spool(str(directory), max_bytes, evicted.append), evicted


def test_written_bodies_come_back_oldest_first_with_their_counts(tmp_path: Path) -> None:
    spool, _ = make(tmp_path)
    assert spool.write("metrics", b"first", 3, 2)
    assert spool.write("detection", b"second", 0, 0)
    entries = spool.claim_oldest(10)
    assert [(e.kind, e.points, e.rows) for e in entries] == [("metrics", 3, 2), ("detection", 0, 0)]
    assert [Spool.read(e) for e in entries] == [b"first", b"second"]
    assert not any(name.startswith(".tmp-") for name in os.listdir(tmp_path))


def test_a_claimed_file_is_not_handed_out_twice(tmp_path: Path) -> None:
    spool, _ = make(tmp_path)
    other, _ = make(tmp_path)
    spool.write("metrics", b"x", 1, 1)
    assert len(spool.claim_oldest(10)) == 1
    assert other.claim_oldest(10) == []
    assert not other.has_files()


def test_a_released_file_can_be_claimed_again_and_a_removed_one_cannot(tmp_path: Path) -> None:
    spool, _ = make(tmp_path)
    spool.write("metrics", b"x", 1, 1)
    (entry,) = spool.claim_oldest(1)
    spool.release(entry)
    (again,) = spool.claim_oldest(1)
    Spool.remove(again)
    assert spool.claim_oldest(1) == [] and os.listdir(tmp_path) == []


def test_the_claim_of_a_dead_process_is_taken_back(tmp_path: Path) -> None:
    spool, _ = make(tmp_path)
    spool.write("metrics", b"x", 1, 1)
    (entry,) = spool.claim_oldest(1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    orphan = entry.path.rsplit("-", 1)[0] + "-%d" % dead_pid
    os.rename(entry.path, orphan)
    assert spool.claim_oldest(1) == []
    spool.reclaim_abandoned()
    assert len(spool.claim_oldest(1)) == 1


def test_the_bound_evicts_the_oldest_files_and_reports_them(tmp_path: Path) -> None:
    spool, evicted = make(tmp_path, max_bytes=250)
    for i in range(5):
        assert spool.write("metrics", bytes(100), i + 1, 1)
    assert [e.points for e in evicted] == [1, 2, 3]
    assert [e.points for e in spool.claim_oldest(10)] == [4, 5]


def test_an_unwritable_directory_is_reported_as_false(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    spool, _ = make(blocker / "spool")
    assert spool.write("metrics", b"x", 1, 1) is False


def test_the_bound_holds_over_many_writes_between_rescans(tmp_path: Path) -> None:
    spool, evicted = make(tmp_path, max_bytes=5_000)
    for _i in range(600):  # more than one rescan period
        assert spool.write("metrics", bytes(100), 1, 1)
    sizes = [p.stat().st_size for p in tmp_path.iterdir()]
    assert sum(sizes) <= 5_000 and len(sizes) == 50
    assert len(evicted) == 550

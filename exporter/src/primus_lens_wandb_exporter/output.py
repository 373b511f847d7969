"""The exporter's voice: the `[Primus Lens WandB]` and `[Primus Lens API Reporter]` lines, on stderr.

Everything the exporter says goes through here so that QUIET/DEBUG are honoured in one place and
"say it once" problems (a rejected batch, a bad value) cannot turn into a per-step storm.
"""

from __future__ import annotations

import sys
import threading
from typing import Set

WANDB = "[Primus Lens WandB]"
REPORTER = "[Primus Lens API Reporter]"

_state = {"debug": False, "quiet": False}
_once_keys: Set[str] = set()
# Re-entrant: the opt-in SIGTERM handler runs on the main thread and may speak while the
# interrupted code holds this lock.
_once_lock = threading.RLock()


def configure(debug: bool, quiet: bool) -> None:
    _state["debug"] = debug
    _state["quiet"] = quiet and not debug


def reset_after_fork() -> None:
    """In a forked child: another thread may have held the say-once lock at fork time."""
    global _once_lock
    _once_lock = threading.RLock()


def debug_enabled() -> bool:
    return _state["debug"]


def _write(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:
        # stderr closed (daemonised job, interpreter teardown): telemetry must never raise.
        pass


def info(prefix: str, message: str) -> None:
    if not _state["quiet"]:
        _write("%s %s" % (prefix, message))


def detail(message: str) -> None:
    """An indented continuation line, as in `  Detected frameworks: [...]`."""
    if not _state["quiet"]:
        _write("  " + message)


def debug(prefix: str, message: str) -> None:
    if _state["debug"]:
        _write("%s [debug] %s" % (prefix, message))


def error(prefix: str, message: str) -> None:
    _write("%s %s" % (prefix, message))


def error_once(key: str, prefix: str, message: str) -> None:
    """Errors that could repeat every step are shown the first time only."""
    with _once_lock:
        if key in _once_keys:
            return
        _once_keys.add(key)
    _write("%s %s" % (prefix, message))


def debug_once(key: str, prefix: str, message: str) -> None:
    if not _state["debug"]:
        return
    with _once_lock:
        if key in _once_keys:
            return
        _once_keys.add(key)
    _write("%s [debug] %s" % (prefix, message))

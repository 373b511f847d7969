"""When the process ends, in every way it can end, the reporter gets to flush within the deadline.

- Normal exit: an atexit handler. The hook installs it after wandb.init, i.e. after wandb has
  registered its own; atexit runs last-registered first, so we flush before wandb's (possibly
  long) teardown. Re-installing moves it to the front again.
- multiprocessing children (fork start method) leave through os._exit, so atexit never runs:
  a multiprocessing.util.Finalize does. It must be registered from multiprocessing's own
  after-fork callback, because the child's bootstrap clears the finalizer registry after
  os.register_at_fork hooks have run.
- SIGTERM (opt-in): flush, then hand the signal to whoever had it before; with no previous
  Python handler, exit with 128+signum through sys.exit so atexit handlers (ours, wandb's) run.
- A plain os.fork child inherits the atexit registration and flushes its own data through it;
  the package's os.register_at_fork hook has already given it a fresh, empty reporter.
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
from typing import Any, Callable, Dict, Optional

from primus_lens_wandb_exporter.report.base import ReporterBase as Reporter

# Above the default (None/0) so our flush runs before other finalizers that may close sockets.
MP_FINALIZE_PRIORITY = 100

_installed: Dict[str, Any] = {"reporter": None, "before": None, "sigterm": False, "mp": False}


def _run_exit() -> None:
    reporter: Optional[Reporter] = _installed["reporter"]
    before: Optional[Callable[[], None]] = _installed["before"]
    if reporter is None:
        return
    if before is not None:
        try:
            before()
        except Exception:
            pass  # the hook's own cleanup failing must not cost us the flush
    reporter.shutdown()


def install_exit_handlers(reporter: Reporter, before_shutdown: Callable[[], None]) -> None:
    """Idempotent: the latest call wins and our atexit handler moves to the front again."""
    _installed["reporter"] = reporter
    _installed["before"] = before_shutdown
    atexit.unregister(_run_exit)
    atexit.register(_run_exit)
    if not _installed["mp"]:
        _installed["mp"] = True
        import multiprocessing.util as mp_util

        mp_util.register_after_fork(reporter, _register_mp_finalizer)
    if reporter.config.handle_sigterm and not _installed["sigterm"]:
        _install_sigterm()


def _register_mp_finalizer(reporter: Reporter) -> None:
    import multiprocessing.util as mp_util

    mp_util.Finalize(None, _run_exit, exitpriority=MP_FINALIZE_PRIORITY)


def _install_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signal.signal only works on the main thread; stay passive elsewhere
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        reporter: Optional[Reporter] = _installed["reporter"]
        if previous is signal.SIG_IGN:
            return
        if reporter is not None:
            reporter.flush_within_budget()
        if callable(previous):
            previous(signum, frame)  # its owner (torchrun, Lightning...) decides what happens next
            return
        sys.exit(128 + signum)  # sys.exit, not raise SystemExit: wandb records the exit code

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
        _installed["sigterm"] = True
    except (ValueError, OSError):
        pass

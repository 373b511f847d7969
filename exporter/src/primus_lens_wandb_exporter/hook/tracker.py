"""Per-run bookkeeping between wandb's calls and the reporter (training thread).

Each entry point is called by a wrapper in `patch.py` *after* wandb's own call succeeded, and
never raises: every internal failure is counted and described once (`_failed`). Runs are keyed
by object identity (a weakref guards against id reuse), so `reinit="create_new"` runs, a repeated
`wandb.init` returning the same run, and calls from other threads all land on the right run.
"""

from __future__ import annotations

import os
import threading
import weakref
from time import time as _now
from typing import Any, Callable, Dict, List, Optional

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect import identity
from primus_lens_wandb_exporter.collect.step_sync import StepSync
from primus_lens_wandb_exporter.collect.steps import StepMirror
from primus_lens_wandb_exporter.collect.values import is_plain, snapshot
from primus_lens_wandb_exporter.config import Config
from primus_lens_wandb_exporter.hook import runs
from primus_lens_wandb_exporter.hook.detection import Detection
from primus_lens_wandb_exporter.model import Row, RunInfo

# After this many internal errors the tracker stops recording: fail open rather than cost every step.
MAX_INTERNAL_ERRORS = 100
# Frameworks are often imported after wandb.init (Megatron, DeepSpeed): look again at these calls.
_RESNAPSHOT_AT_CALLS = frozenset((1, 2, 3, 10, 100))


class RunState:
    __slots__ = ("ref", "info", "mirror", "sync", "lock", "owner_pid", "finished", "log_calls", "detection")

    def __init__(self, run: Any, info: RunInfo, start_step: int) -> None:
        self.ref = weakref.ref(run)
        self.info = info
        self.mirror = StepMirror(start_step)
        self.sync: Optional[StepSync] = None  # made by the run's first define_metric with a step metric
        self.lock = threading.Lock()
        self.owner_pid = os.getpid()
        self.finished = False
        self.log_calls = 0
        self.detection: Optional[Detection] = None


class Tracker:
    def __init__(
        self, config: Config, reporter: Any = None, start_reporter: Optional[Callable[[Tracker], Any]] = None
    ) -> None:
        self._config = config
        self._reporter = reporter
        # Called once, when the first run is registered (see activate): no thread, no helper
        # process and no "Started" line for a process that imports wandb and never starts a run.
        self._start_reporter = start_reporter
        self._runs: Dict[int, RunState] = {}
        self._registry_lock = threading.Lock()
        self.internal_errors = 0
        self.rows_recorded = 0
        self.calls_dropped = 0
        # Set by activate: installs the reporter's exit handlers. Called after every wandb.init
        # returns, so our atexit is registered after wandb's and therefore runs before it.
        self.exit_hook: Optional[Callable[[], None]] = None
        try:
            os.register_at_fork(after_in_child=self._after_fork_in_child)
        except AttributeError:  # not on this platform
            pass

    # ---- lookups --------------------------------------------------------------------------
    def _state(self, run: Any) -> Optional[RunState]:
        state = self._runs.get(id(run))
        if state is not None and state.ref() is run:
            return state
        return None

    def _register(self, run: Any, start_step: int) -> Optional[RunState]:
        if runs.is_passive(run) or not identity.rank_selected(identity.current(), self._config.ranks):
            return None
        self.start_reporting()
        state = RunState(run, runs.run_info(run), start_step)
        with self._registry_lock:
            self._runs[id(run)] = state
        return state

    def start_reporting(self) -> None:
        """Starts the reporter on the first run of a rank that reports (`wandb.init` calls this
        before wandb's own init, so "Started" comes before "Intercepted", as documented)."""
        if self._start_reporter is None or not identity.rank_selected(identity.current(), self._config.ranks):
            return
        with self._registry_lock:  # two threads' first runs start one reporter
            start, self._start_reporter = self._start_reporter, None
            if start is not None:
                self._reporter = start(self)

    def before_log(self, run: Any) -> Any:
        """Called before wandb's log call: the run's state, or (for a run new to us) wandb's own
        step counter before this call, to seed the mirror with."""
        state = self._runs.get(id(run))
        if state is not None and state.ref() is run:
            return state
        if self.internal_errors >= MAX_INTERNAL_ERRORS:
            return None
        try:
            return runs.local_step(run)
        except Exception:
            return None

    # ---- entry points ---------------------------------------------------------------------
    def on_init(self, run: Any, adopted: bool = False) -> None:
        """After `wandb.init` returned `run`; `adopted` when we meet a run created before our patch."""
        try:
            if run is None or self._state(run) is not None:
                return  # a repeated wandb.init returning the same run: already reported
            start = runs.local_step(run) if adopted else None
            state = self._register(run, runs.starting_step(run) if start is None else start)
            if state is None:
                return
            output.info(output.WANDB, "WandB run initialized: %s" % runs.display_name(run, state.info))
            self._start_detection(state, run)
        except Exception as exc:
            self._failed("init", exc)

    def _start_detection(self, state: RunState, run: Any) -> None:
        identity.warn_if_no_workload(identity.current())
        if self._reporter is not None:
            state.detection = Detection(self._reporter, state.info)
            state.detection.report_at_init(run)

    def on_log(self, run: Any, before: Any, data: Any, step: Any, commit: Any) -> None:
        """After wandb accepted a log call; `before` is what before_log returned for it."""
        if self.internal_errors >= MAX_INTERNAL_ERRORS:
            return
        try:
            state = before if type(before) is RunState else self._state(run)
            if state is None:
                # A run we never saw created: wandb imported before us, or a Run unpickled in a
                # spawned child (`_attach`). Adopt it, seeded with wandb's own step counter.
                state = self._register(run, before if type(before) is int else 0)
                if state is None:
                    return
                init_pid = getattr(run, "_init_pid", None)
                if isinstance(init_pid, int) and init_pid != os.getpid():
                    state.owner_pid = init_pid  # the creating process finishes it, not us
                self._start_detection(state, run)
                self.after_init()  # no wandb.init here: install the exit flush now
            if state.finished:
                return
            timestamp = _now()
            # Exact Python numbers (the training-loop dict) are read in place, before this call
            # returns; anything else is snapshotted first (tensors are changed in place later).
            plain = type(data) is dict and is_plain(data)
            items = data if plain else snapshot(data)
            mirror = state.mirror
            lock = state.lock
            lock.acquire()  # not `with`: half the cost, and this runs on every wandb.log
            try:
                row_step = mirror.whole_row(step, commit)
                if row_step is None:
                    rows, accepted = mirror.apply(
                        dict(items) if plain else items, None if step is None else int(step), commit, timestamp
                    )
                sync = state.sync
                if sync is not None:  # rows as wandb stores them, in the order they complete
                    if row_step is not None:
                        synced = sync.apply(items)
                        if synced is not items:
                            items, plain = synced, is_plain(synced)
                    elif rows:
                        rows = [(s, t, sync.apply(i)) for s, t, i in rows]
                state.log_calls = calls = state.log_calls + 1
            finally:
                lock.release()
            if row_step is not None:
                # wandb.log(row) in a training loop: one whole row, no lists built for it.
                if items:
                    self.rows_recorded += 1
                    reporter = self._reporter
                    if reporter is not None:
                        if plain:
                            reporter.submit_plain(state.info, row_step, timestamp, items)
                        else:
                            reporter.submit_row(Row(state.info, row_step, timestamp, items))
                    if output.debug_enabled():
                        output.debug(output.WANDB, "run %s: 1 row(s) up to step %d" % (state.info.id, row_step))
            elif rows:
                self._submit(state, rows)
            elif not accepted:
                self.calls_dropped += 1
                output.debug(output.WANDB, "step %s < current step: dropped, as wandb does" % step)
            if calls in _RESNAPSHOT_AT_CALLS and state.detection is not None:
                state.detection.maybe_update(run, "log")
        except Exception as exc:
            self._failed("log", exc)

    def on_define_metric(self, run: Any, name: Any, step_metric: Any, step_sync: Any, overwrite: Any) -> None:
        """After wandb accepted `define_metric`: what step sync will add to later rows."""
        try:
            state = self._state(run)
            if state is None:
                return
            with state.lock:
                if state.sync is None:
                    if not step_metric:
                        return  # nothing to add until a definition names a step metric
                    state.sync = StepSync(legacy=runs.history_in_python(run))
                state.sync.define(name, step_metric, step_sync, overwrite)
        except Exception as exc:
            self._failed("define_metric", exc)

    def on_finish(self, run: Any, exit_code: Any) -> None:
        try:
            state = self._state(run)
            if state is None or state.finished:
                return
            self._close(state, 0 if exit_code is None else int(exit_code), run)
        except Exception as exc:
            self._failed("finish", exc)

    def after_init(self) -> None:
        if self.exit_hook is None:
            return
        try:
            self.exit_hook()
        except Exception as exc:
            self._failed("exit-handlers", exc)

    def before_shutdown(self) -> None:
        """At exit (atexit, multiprocessing Finalize, SIGTERM): close runs never finished."""
        try:
            with self._registry_lock:
                states = list(self._runs.values())
            pid = os.getpid()
            # Forked helpers that never touched wandb (DataLoader workers) exit silently.
            if self.rows_recorded or any(s.owner_pid == pid for s in states):
                output.info(output.WANDB, "Cleaning up...")
            for state in states:
                if not state.finished:
                    self._close(state, None, state.ref())
        except Exception as exc:
            self._failed("shutdown", exc)

    # ---- internals ------------------------------------------------------------------------
    def _close(self, state: RunState, exit_code: Optional[int], run: Any) -> None:
        with state.lock:
            if state.finished:
                return
            state.finished = True
            pending = state.mirror.take_pending()
            if pending and state.sync is not None:
                pending = (pending[0], pending[1], state.sync.apply(pending[2]))
        self._submit(state, [pending] if pending else [])
        if state.owner_pid != os.getpid():
            return  # a forked child flushes what it logged but never ends its parent's run
        if state.detection is not None and run is not None:
            state.detection.maybe_update(run, "finish")
        if self._reporter is not None:
            self._reporter.run_finished(state.info, exit_code)

    def _submit(self, state: RunState, rows: List[Any]) -> None:
        reporter = self._reporter
        self.rows_recorded += len(rows)
        if reporter is not None:
            info = state.info
            for step, timestamp, items in rows:
                if is_plain(items):
                    reporter.submit_plain(info, step, timestamp, items)
                else:
                    reporter.submit_row(Row(info, step, timestamp, items))
        if rows and output.debug_enabled():
            output.debug(output.WANDB, "run %s: %d row(s) up to step %d" % (state.info.id, len(rows), rows[-1][0]))

    def _failed(self, where: str, exc: BaseException) -> None:
        self.internal_errors += 1
        output.error_once(
            "internal:" + where,
            output.WANDB,
            "Internal error in %s hook (training continues; shown once): %s: %s" % (where, type(exc).__name__, exc),
        )
        if self.internal_errors == MAX_INTERNAL_ERRORS:
            output.error(output.WANDB, "Too many internal errors; metric capture stopped for this process")

    def _after_fork_in_child(self) -> None:
        # The parent still owns its pending rows and will send them: drop our copies, or the
        # child would send them a second time. Locks may have been held at fork time.
        for state in list(self._runs.values()):
            state.lock = threading.Lock()
            state.mirror.take_pending()
        self._registry_lock = threading.Lock()
        self.rows_recorded = 0

    def open_runs(self) -> List[RunInfo]:
        return [s.info for s in list(self._runs.values()) if not s.finished]

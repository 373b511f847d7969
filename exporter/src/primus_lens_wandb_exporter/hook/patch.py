"""Wrappers on `wandb.sdk.wandb_run.Run` and `wandb.init`.

Why the class and not `wandb.log`: `wandb.init` binds `wandb.log = run.log` (a bound method made
at init), so a module patch misses `run.log` (Lightning, Accelerate) and goes stale. `Run._log`
is what `log`, `wandb.log`, `wandb.watch` and the TensorBoard sync all reach, so it is the primary
hook; `log` is a fallback for versions or subclasses that do not route through `_log`. A
thread-local marker makes each call recorded exactly once, and only after wandb's call returned,
so a call wandb rejected is never reported. `_finish` is primary (`with run:` calls it directly),
`finish` the fallback. `_define_metric` is wrapped for wandb's step sync (collect/step_sync.py).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, List, Optional, Tuple

from primus_lens_wandb_exporter.hook.tracker import Tracker

_ORIGINAL = "__primus_lens_original__"
_patched: List[Tuple[Any, str, Any]] = []  # (owner, attribute, original) for unpatch()
# Whether the fallback `log` wrapper is installed: only then must `_log` leave it a marker.
_fallback = {"log": False}


class _CallState(threading.local):
    """Per-thread markers; class attributes are each thread's starting values."""

    in_log = False  # inside the fallback `log` wrapper
    in_private_log = False  # inside the primary `_log` wrapper
    recorded = False  # `_log` recorded the call the enclosing `log` is making
    in_finish = False


_tls = _CallState()


_LOG_PARAMETERS = ("self", "data", "step", "commit")
_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08


def _has_log_signature(func: Any) -> bool:
    """True for `_log(self, data, step=None, commit=None)` and nothing more, as in every wandb
    from 0.16 to 0.31: then the wrapper can take the same parameters instead of *args/**kwargs,
    which costs a fifth as much per call and needs no argument digging."""
    code = getattr(func, "__code__", None)
    return (
        code is not None
        and code.co_argcount == 4
        and code.co_varnames[:4] == _LOG_PARAMETERS
        and not code.co_kwonlyargcount
        and not code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS)
        and getattr(func, "__defaults__", None) == (None, None)
    )


def _wrap_private_log(original: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    """Primary: every path to wandb's history (log, wandb.log, watch, TensorBoard) goes here."""
    if _has_log_signature(original):
        return _wrap_private_log_exact(original, tracker)

    @functools.wraps(original)
    def _log(self: Any, *args: Any, **kwargs: Any) -> Any:
        tls = _tls
        if tls.in_private_log:
            return original(self, *args, **kwargs)  # wandb calling itself: not a new row
        tls.in_private_log = True
        try:
            before = tracker.before_log(self)
            result = original(self, *args, **kwargs)
        finally:
            tls.in_private_log = False
        tls.recorded = True
        tracker.on_log(
            self,
            before,
            args[0] if args else kwargs.get("data"),
            args[1] if len(args) > 1 else kwargs.get("step"),
            args[2] if len(args) > 2 else kwargs.get("commit"),
        )
        return result

    setattr(_log, _ORIGINAL, original)
    return _log


def _wrap_private_log_exact(original: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    """The same wrapper for wandb's own `_log` signature (the one every release has)."""

    @functools.wraps(original)
    def _log(self: Any, data: Any, step: Any = None, commit: Any = None) -> Any:
        tls = _tls
        if tls.in_private_log:
            return original(self, data, step, commit)  # wandb calling itself: not a new row
        tls.in_private_log = True
        try:
            before = tracker.before_log(self)
            result = original(self, data, step, commit)
        finally:
            tls.in_private_log = False
        if _fallback["log"]:
            tls.recorded = True
        tracker.on_log(self, before, data, step, commit)
        return result

    setattr(_log, _ORIGINAL, original)
    return _log


def _wrap_log(original: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    """Fallback: records only when the call did not reach `_log` (old or unusual Run classes)."""

    @functools.wraps(original)
    def log(self: Any, *args: Any, **kwargs: Any) -> Any:
        tls = _tls
        if tls.in_log:
            return original(self, *args, **kwargs)
        tls.in_log = True
        tls.recorded = False
        try:
            result = original(self, *args, **kwargs)
        finally:
            tls.in_log = False
        if not tls.recorded:
            tracker.on_log(
                self,
                None,
                args[0] if args else kwargs.get("data"),
                args[1] if len(args) > 1 else kwargs.get("step"),
                args[2] if len(args) > 2 else kwargs.get("commit"),
            )
        return result

    setattr(log, _ORIGINAL, original)
    return log


def _wrap_finish(original: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _tls.in_finish:
            return original(self, *args, **kwargs)
        _tls.in_finish = True
        try:
            result = original(self, *args, **kwargs)
        finally:
            _tls.in_finish = False
            # wandb sets _is_finished before its teardown, which may still raise (a timeout):
            # the run is over either way, so close it out.
            if getattr(self, "_is_finished", True):
                exit_code = args[0] if args else kwargs.get("exit_code")
                tracker.on_finish(self, exit_code)
        return result

    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def _wrap_define_metric(original: Callable[..., Any], tracker: Tracker) -> Callable[..., Any]:
    """Records a definition wandb accepted, for step sync. The parameters are read by name: their
    order changed across releases (`goal` sat before `overwrite` until 0.28)."""
    code = getattr(original, "__code__", None)
    names = code.co_varnames[1 : code.co_argcount] if code is not None else ("name", "step_metric", "step_sync")

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        given = dict(zip(names, args))
        given.update(kwargs)
        tracker.on_define_metric(
            self, given.get("name"), given.get("step_metric"), given.get("step_sync"), given.get("overwrite")
        )
        return result

    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def _wrap_init(original: Callable[..., Any], tracker: Tracker, announce: Callable[[], None]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        announce()
        run = original(*args, **kwargs)
        tracker.on_init(run)
        tracker.after_init()
        return run

    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def _reaches_private_log(log: Any) -> bool:
    """True when Run.log's own body calls `self._log`, as in every wandb from 0.15 to 0.31.

    Then the `_log` hook already records each call and the fallback wrapper would only add
    ~1 µs to every step (a third of the hook's cost). wandb decorates `log` with functools.wraps
    decorators, so the `__wrapped__` chain leads to the real body; a decorator without it, or a
    body that does not name `_log`, keeps the fallback.
    """
    func = log
    for _ in range(16):
        inner = getattr(func, "__wrapped__", None)
        if inner is None:
            break
        func = inner
    code = getattr(func, "__code__", None)
    return code is not None and "_log" in code.co_names


def _replace(owner: Any, name: str, make: Callable[[Any], Any]) -> bool:
    current = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if current is None or getattr(current, _ORIGINAL, None) is not None:
        return False
    setattr(owner, name, make(current))
    _patched.append((owner, name, current))
    return True


def apply(wandb: Any, tracker: Tracker, announce_init: Callable[[], None]) -> bool:
    """Patches wandb in place; returns False when this wandb has no Run class we understand."""
    import wandb.sdk.wandb_run as wandb_run  # already imported by wandb/__init__

    run_cls = getattr(wandb_run, "Run", None)
    if run_cls is None or ("_log" not in run_cls.__dict__ and "log" not in run_cls.__dict__):
        return False
    _replace(run_cls, "_log", lambda f: _wrap_private_log(f, tracker))
    if not _reaches_private_log(run_cls.__dict__.get("log")):
        _fallback["log"] = _replace(run_cls, "log", lambda f: _wrap_log(f, tracker)) or _fallback["log"]
    _replace(run_cls, "_finish", lambda f: _wrap_finish(f, tracker))
    # `define_metric` calls `_define_metric` in every release that has it; one wrapper, not two.
    _replace(
        run_cls,
        "_define_metric" if "_define_metric" in run_cls.__dict__ else "define_metric",
        lambda f: _wrap_define_metric(f, tracker),
    )
    _replace(run_cls, "finish", lambda f: _wrap_finish(f, tracker))

    original_init = getattr(wandb, "init", None)
    if original_init is not None and getattr(original_init, _ORIGINAL, None) is None:
        wrapped = _wrap_init(original_init, tracker, announce_init)
        for module_name in ("wandb", "wandb.sdk", "wandb.sdk.wandb_init"):
            module = _sys_module(module_name)
            if module is not None and getattr(module, "init", None) is original_init:
                module.init = wrapped
                _patched.append((module, "init", original_init))

    _adopt_existing_run(wandb, tracker)
    return True


def _adopt_existing_run(wandb: Any, tracker: Tracker) -> None:
    """Patched after a run already exists: register it and refresh the stale `wandb.log`."""
    run = getattr(wandb, "run", None)
    if run is None:
        return
    stale = getattr(getattr(wandb, "log", None), "__self__", None) is run  # bound to the run before our patch
    if stale:
        try:
            wandb.log = run.log
        except Exception:
            pass
    tracker.on_init(run, adopted=True)
    tracker.after_init()


def _sys_module(name: str) -> Optional[Any]:
    import sys

    return sys.modules.get(name)


def unpatch() -> None:
    """Restores every original (tests)."""
    while _patched:
        owner, name, original = _patched.pop()
        setattr(owner, name, original)
    _fallback["log"] = False

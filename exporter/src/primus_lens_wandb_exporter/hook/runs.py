"""Reading a wandb Run without side effects, across wandb 0.16 to 0.31.

Public Run properties are decorated with `@_attach`: in a forked or unpickled process the first
access is a service round-trip, and `run.step`/`run.summary` are blocking RPCs from 0.28. So we
read the plain `_settings` fields and private counters, and fall back to public names only where
an old version lacks the private one.
"""

from __future__ import annotations

from typing import Any, Optional

from primus_lens_wandb_exporter.model import RunInfo


def _setting(run: Any, name: str) -> Optional[str]:
    settings = getattr(run, "_settings", None)
    value = getattr(settings, name, None) if settings is not None else None
    return None if value is None else str(value)


def run_info(run: Any) -> RunInfo:
    run_id = _setting(run, "run_id") or str(getattr(run, "id", "") or "")
    project = _setting(run, "project") or ""
    if not project:
        try:
            project = str(getattr(run, "project", "") or "")
        except Exception:
            project = ""
    name = _setting(run, "run_name") or ""
    return RunInfo(id=run_id, project=project, name=name)


def display_name(run: Any, info: RunInfo) -> str:
    if info.name:
        return info.name
    try:
        name = getattr(run, "name", None)  # set online by the server; None offline
    except Exception:
        name = None
    return str(name) if name else info.id


def is_passive(run: Any) -> bool:
    """Disabled runs (NoopRun, make_disabled_run, RunDisabled) are never reported."""
    if _setting(run, "mode") == "disabled":
        return True
    if type(run).__name__ in ("NoopRun", "RunDisabled"):
        return True
    try:
        return bool(run.__dict__.get("disabled", False))
    except Exception:
        return False


def starting_step(run: Any) -> int:
    """The first step of a run just returned by `wandb.init` (nonzero when resuming)."""
    for name in ("_starting_step", "_step"):
        value = getattr(run, name, None)
        if isinstance(value, int):
            return value
    return 0


def local_step(run: Any) -> Optional[int]:
    """wandb's own Python-side step counter, for runs we first meet at a log call."""
    value = getattr(run, "_local_step", None)
    if isinstance(value, int):
        return value
    value = getattr(run, "_step", None)  # <= 0.27 kept it here; plain attribute, not the property
    return value if isinstance(value, int) else None


def history_in_python(run: Any) -> bool:
    """True where wandb's history rules (step sync) run in its Python service rather than in
    wandb-core: releases before 0.18 unless core was required, and 0.18+ asked for the legacy
    service."""
    settings = getattr(run, "_settings", None)
    if getattr(settings, "x_require_legacy_service", None) is True:
        return True
    if getattr(settings, "_require_core", None) is True:
        return False
    import sys

    version = str(getattr(sys.modules.get("wandb"), "__version__", ""))
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < (0, 18)

"""What happens once, right after `wandb/__init__.py` has executed in this process."""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional

from primus_lens_wandb_exporter import config as config_mod
from primus_lens_wandb_exporter import output

_state: Dict[str, Any] = {"done": False, "tracker": None, "reporter": None, "patched": False}


def _is_wandb_service_process() -> bool:
    # wandb <= 0.17 runs its service as `python -m wandb service`; the hook must stay silent there.
    return len(sys.argv) > 1 and sys.argv[1] == "service" and sys.argv[0].endswith("__main__.py")


def _make_reporter(config: config_mod.Config) -> Optional[Any]:
    try:
        from primus_lens_wandb_exporter.collect.identity import current
        from primus_lens_wandb_exporter.report import get_reporter

        return get_reporter(config, current)
    except Exception as exc:
        output.error_once("reporter", output.WANDB, "Reporter unavailable, metrics are not sent: %s" % exc)
        return None


def _reporter_starter(config: config_mod.Config) -> Any:
    """What the tracker calls when its first run is registered: a bare `import wandb` (a library
    probing for it, a job that never calls `wandb.init`) starts no reporter and prints nothing."""

    def start(tracker: Any) -> Optional[Any]:
        reporter = _make_reporter(config)
        _state["reporter"] = reporter
        if reporter is not None:
            tracker.exit_hook = _exit_hook(reporter, tracker)
        return reporter

    return start


def _exit_hook(reporter: Any, tracker: Any) -> Any:
    def install() -> None:
        from primus_lens_wandb_exporter.report.lifecycle import install_exit_handlers

        install_exit_handlers(reporter, tracker.before_shutdown)

    return install


def on_wandb_imported(wandb: Any) -> None:
    """Never raises (the import hook calls it inside `import wandb`)."""
    if _state["done"]:
        return
    _state["done"] = True
    try:
        config = config_mod.load()
        output.configure(config.debug, config.quiet)
        if not config.hook_enabled or _is_wandb_service_process():
            return
        output.info(output.WANDB, "Installing WandB hook...")
        for warning in config.warnings:
            output.error_once("config:" + warning, output.WANDB, "Config: " + warning)
        if not (config.api_reporting or config.save_local):
            output.debug(output.WANDB, "API reporting and local saving are both off: nothing to do")
            return
        if config.api_reporting:
            output.info(output.WANDB, "API reporting enabled")
        from primus_lens_wandb_exporter.hook import patch
        from primus_lens_wandb_exporter.hook.tracker import Tracker

        tracker = Tracker(config, start_reporter=_reporter_starter(config))
        _state["tracker"] = tracker

        def announce() -> None:  # runs inside the user's wandb.init: never raises
            try:
                tracker.start_reporting()
                output.info(output.WANDB, "Intercepted wandb.init()")
            except Exception as exc:
                output.error_once("announce", output.WANDB, "Could not start reporting: %s" % exc)

        _state["patched"] = patch.apply(wandb, tracker, announce)
        if not _state["patched"]:
            output.error_once("no-run-class", output.WANDB, "This wandb has no Run class we can patch; capture is off")
    except Exception as exc:
        output.error_once("activate", output.WANDB, "Could not install the WandB hook (training continues): %s" % exc)


def tracker() -> Optional[Any]:
    return _state["tracker"]


def is_patched() -> bool:
    return bool(_state["patched"])

"""What the `.pth` line runs in every Python process at start-up.

It must cost well under 3 ms and never fail: it imports only `sys`/`os`, reads one variable and
registers a finder that waits for `import wandb`. No wandb import, no threads, no sockets, no
config parsing (config imports dataclasses, which pulls in `inspect`: ~5 ms).
"""

import os
import sys

_installed = False


def _hook_enabled() -> bool:
    raw = os.environ.get("PRIMUS_LENS_WANDB_HOOK", "").strip().lower()
    return raw in ("", "1", "true", "yes", "on")


def install() -> None:
    """Entry point of both the `.pth` line and the PEP 829 `.start` file; idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        if not _hook_enabled():
            return
        if "wandb" in sys.modules:
            # Something imported wandb before site ran us (a sitecustomize, `-c` after a manual
            # import of this module): patch now rather than wait for an import that will not come.
            from primus_lens_wandb_exporter.hook.activate import on_wandb_imported

            on_wandb_imported(sys.modules["wandb"])
            return
        from primus_lens_wandb_exporter.hook.import_hook import register

        register()
    except Exception:
        # A start-up hook that raises prints a traceback in every interpreter; stay silent.
        pass

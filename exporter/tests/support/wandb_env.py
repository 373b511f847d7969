"""The environment every test that starts real wandb gives it: offline (no W&B account), quiet,
and without the git, code, system-stats and metadata capture that would only slow a run down."""

from __future__ import annotations

OFFLINE_WANDB_ENV = {
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "WANDB_CONSOLE": "off",
    "WANDB_DISABLE_GIT": "true",
    "WANDB_DISABLE_CODE": "true",
    "WANDB_X_DISABLE_STATS": "true",
    "WANDB_X_DISABLE_META": "true",
    "WANDB_ERROR_REPORTING": "false",
}

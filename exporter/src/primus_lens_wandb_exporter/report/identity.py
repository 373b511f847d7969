"""The reporter's default identity, for a reporter used without the hook (tests, `check`).

The hook passes its own per-process provider (get_reporter(config, identity.current)). The rules
(docs/wire-format.md, "Identity") live in one place, collect/identity.py, so both agree.
"""
from __future__ import annotations

from primus_lens_wandb_exporter.collect.identity import build as from_env

__all__ = ["from_env"]

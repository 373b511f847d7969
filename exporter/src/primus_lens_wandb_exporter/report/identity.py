"""The reporter's default identity: read from the environment, once per process.

The hook may pass its own provider (get_reporter(identity_provider=...)); this default keeps the
reporter usable on its own and follows the same rules (docs/wire-format.md, "Identity").
"""
from __future__ import annotations

import os
import socket
from typing import Mapping, Optional

from primus_lens_wandb_exporter.model import Identity

NODE_RANK_VARS = ("SLURM_NODEID", "PET_NODE_RANK", "NODE_RANK")


def _int(raw: Optional[str]) -> Optional[int]:
    try:
        return int(raw.strip()) if raw is not None else None
    except ValueError:
        return None


def from_env(env: Optional[Mapping[str, str]] = None) -> Identity:
    env = os.environ if env is None else env
    try:
        host = socket.gethostname()
    except OSError:
        host = "unknown-host"
    node_rank = next((r for r in (_int(env.get(n)) for n in NODE_RANK_VARS) if r is not None), None)
    return Identity(
        workload_uid=env.get("WORKLOAD_UID", "").strip(),
        pod_uid=env.get("POD_UID", "").strip(),
        pod_name=env.get("POD_NAME", "").strip() or env.get("HOSTNAME", "").strip() or host,
        namespace=env.get("POD_NAMESPACE", "").strip(),
        rank=_int(env.get("RANK")),
        local_rank=_int(env.get("LOCAL_RANK")),
        world_size=_int(env.get("WORLD_SIZE")),
        node_rank=node_rank,
        host=host,
        pid=os.getpid(),
    )

"""Who is reporting: the workload/pod identity and the rank, from the environment.

Built once per process and rebuilt after fork (the pid changes). Bad values never raise: a
`RANK=""` that broke the original exporter's `wandb.init` is simply "no rank" here.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Dict, Mapping, Optional

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.model import Identity

_NODE_RANK_VARS = ("SLURM_NODEID", "PET_NODE_RANK", "NODE_RANK")

_cache: Dict[str, Any] = {"pid": -1, "identity": None}


def _int_or_none(raw: Optional[str]) -> Optional[int]:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _hostname() -> str:
    try:
        return socket.gethostname()
    except Exception:
        return "unknown-host"


def build(env: Optional[Mapping[str, str]] = None) -> Identity:
    env = os.environ if env is None else env
    host = _hostname()
    node_rank = None
    for name in _NODE_RANK_VARS:
        node_rank = _int_or_none(env.get(name))
        if node_rank is not None:
            break
    return Identity(
        workload_uid=env.get("WORKLOAD_UID", "").strip(),
        pod_uid=env.get("POD_UID", "").strip(),
        pod_name=env.get("POD_NAME", "").strip() or env.get("HOSTNAME", "").strip() or host,
        namespace=env.get("POD_NAMESPACE", "").strip(),
        rank=_int_or_none(env.get("RANK")),
        local_rank=_int_or_none(env.get("LOCAL_RANK")),
        world_size=_int_or_none(env.get("WORLD_SIZE")),
        node_rank=node_rank,
        host=host,
        pid=os.getpid(),
    )


def current() -> Identity:
    """This process's identity, cached per pid so a forked child gets its own."""
    pid = os.getpid()
    if _cache["pid"] != pid:
        _cache["identity"] = build()
        _cache["pid"] = pid
    identity: Identity = _cache["identity"]
    return identity


def wire_fields(identity: Identity, exporter_version: str) -> Dict[str, Any]:
    """The identity fields every body carries, metrics and detection (docs/wire-format.md)."""
    return {
        "source": "wandb",
        "workload_uid": identity.workload_uid,
        "pod_uid": identity.pod_uid,
        "pod_name": identity.pod_name,
        "namespace": identity.namespace,
        "rank": identity.rank,
        "local_rank": identity.local_rank,
        "world_size": identity.world_size,
        "node_rank": identity.node_rank,
        "host": identity.host,
        "pid": identity.pid,
        "exporter_version": exporter_version,
    }


def fallback_workload(identity: Identity) -> str:
    """The workload the server files data under when WORKLOAD_UID is unset (wire-format.md)."""
    return identity.workload_uid or "pod:" + identity.pod_name


def warn_if_no_workload(identity: Identity) -> None:
    if not identity.workload_uid:
        output.error_once(
            "no-workload-uid",
            output.WANDB,
            "Warning: WORKLOAD_UID not set, detection may not be associated with workload; "
            "reporting under workload %r (set WORKLOAD_UID and POD_UID to fix)" % fallback_workload(identity),
        )


def rank_selected(identity: Identity, spec: str) -> bool:
    """PRIMUS_LENS_WANDB_RANKS: `all` (default), a list of global ranks `0,8`, or `localN`.

    A process without RANK/LOCAL_RANK counts as rank 0, so a single-process job with RANKS=0
    still reports. An unparsable spec reports everything rather than silently losing data.
    """
    spec = spec.strip().lower()
    if spec in ("", "all", "*"):
        return True
    rank = identity.rank if identity.rank is not None else 0
    local = identity.local_rank if identity.local_rank is not None else 0
    parsed_any = False
    for part in spec.split(","):
        part = part.strip()
        try:
            if part.startswith("local"):
                wanted = int(part[len("local") :])
                parsed_any = True
                if local == wanted:
                    return True
            elif part:
                wanted = int(part)
                parsed_any = True
                if rank == wanted:
                    return True
        except ValueError:
            continue
    return not parsed_any

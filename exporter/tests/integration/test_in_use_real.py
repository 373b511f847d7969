"""The in-use readers (collect/in_use.py) against the real libraries' own objects, on CPU.

The unit table checks the readers against objects shaped like the frameworks'; this checks that
the shapes are the real ones: real torch's `fully_shard` (FSDP2, gloo, one process), real
Accelerate's process state, and that reading them imports nothing. Each check runs in a fresh
`frameworks` interpreter, where the wheel-installed exporter is what gets imported.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict

from .harness import require_venv

VENV = "frameworks"

FSDP2 = """
import json, sys
import torch, torch.distributed as dist
from primus_lens_wandb_exporter.collect import in_use
before = in_use.configured(), in_use.initialized()
dist.init_process_group("gloo")
from torch.distributed.fsdp import fully_shard
model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 4))
for layer in model:
    fully_shard(layer)
fully_shard(model)
loaded = set(sys.modules)
after = in_use.configured(), in_use.initialized()
print(json.dumps({"before": before, "after": after, "imported": sorted(set(sys.modules) - loaded)}))
"""

ACCELERATE = """
import json, sys
import accelerate.state
from primus_lens_wandb_exporter.collect import in_use
before = in_use.initialized()
from accelerate import Accelerator
Accelerator(cpu=True)
print(json.dumps({"before": before, "after": in_use.initialized(), "configured": in_use.configured()}))
"""


def run(code: str) -> Dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_", "ACCELERATE_", "RANK", "WORLD_SIZE"))}
    env.update(
        {
            "PRIMUS_LENS_WANDB_HOOK": "false",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": "29531",
            "RANK": "0",
            "WORLD_SIZE": "1",
            "LOCAL_RANK": "0",
            "OMP_NUM_THREADS": "1",
        }
    )
    done = subprocess.run(
        [require_venv(VENV), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fully_shard_is_seen_as_fsdp_in_use_and_reading_it_imports_nothing() -> None:
    found = run(FSDP2)
    assert found["before"] == [{}, {"torch.distributed": False}]
    configured, ready = found["after"]
    assert configured == {"fsdp": "fully_shard (FSDP2) state on the model"}
    assert ready == {"torch.distributed": True}
    assert found["imported"] == []


def test_accelerate_process_state_is_seen_once_it_exists() -> None:
    found = run(ACCELERATE)
    assert found["before"].get("accelerate") is False
    assert found["after"]["accelerate"] is True
    assert found["configured"] == {}, "a plain CPU Accelerator names no base"

"""Real PyTorch tensors (Debian's CPU build) through real wandb and the installed exporter.

The venv w031-torch is Debian's python3 with python3-torch visible (setup_venvs.sh); it is
required, so a machine without it fails here instead of skipping. What a CPU cannot show
(a CUDA tensor's device sync) is the same code path: the snapshot is detach().clone() on the
training thread and float() on the reporter thread.
"""

from __future__ import annotations

import json
from typing import Any

from .harness import base_env, run_script, wandb_history
from support.fake_server import FakeServer

VENV = "w031-torch"

TENSORS = '''
import json, threading, torch, wandb

seen_threads = set()
tensor_float = torch.Tensor.__float__
def spy_float(self):
    """Records which threads turn a tensor into a Python number (a device sync on CUDA)."""
    seen_threads.add(threading.current_thread().name)
    return tensor_float(self)

run = wandb.init(project="torch-tensors", name="tensors")
torch.Tensor.__float__ = spy_float  # after init: only what happens while logging counts
loss = torch.tensor(0.5)
weight = torch.tensor([2.0], requires_grad=True)
for step in range(3):
    scaled = weight * 3.0  # carries a grad_fn
    wandb.log({"loss": loss, "one": torch.tensor([1.5]), "scaled": scaled, "half": torch.tensor(0.25, dtype=torch.float16),
               "count": torch.tensor(7), "flag": torch.tensor(True), "vector": torch.zeros(3),
               "nested": {"double": loss * 2}, "plain": 1.0})
    loss.add_(1.0)  # changed in place after logging: the logged value must be the one sent
run.finish()
print(json.dumps({"run": run.id, "threads": sorted(seen_threads), "torch": torch.__version__}))
'''


def test_torch_tensors_are_snapshotted_at_call_time_and_read_off_the_training_thread(tmp_path: Any) -> None:
    with FakeServer() as server:
        done = run_script(VENV, TENSORS, base_env(server.base_url, str(tmp_path), PRIMUS_LENS_WANDB_DEBUG="true"))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = [
        (
            step,
            {
                "loss": 0.5 + step,
                "one": 1.5,
                "scaled": 6.0,
                "half": 0.25,
                "count": 7.0,
                "flag": 1.0,
                "nested.double": (0.5 + step) * 2,
                "plain": 1.0,
            },
        )
        for step in range(3)
    ]
    assert server.rows(result["run"]) == expected
    # float() ran on the exporter's thread, never on MainThread (a CUDA tensor would sync there).
    assert result["threads"] == ["PrimusLensReporter"], result
    # The multi-element tensor is skipped and said once, not per step.
    assert done.stderr.count("Skipping non-numeric metric: vector") == 1
    # Same steps as wandb stored; wandb keeps the scalars we compare (it writes `one` as a list).
    stored = dict(wandb_history(VENV, str(tmp_path))[result["run"]])
    for step, row in expected:
        assert stored[step]["loss"] == row["loss"] and stored[step]["plain"] == 1.0

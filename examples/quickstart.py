"""The training code of docs/quickstart.md, with a loss curve that looks like training.

Nothing here knows about Primus Lens: with the exporter installed (`pip install ./exporter`), the
wandb calls below are captured and reported on their own. Run it the way `make demo` does:

    WORKLOAD_UID=my-workload-123 POD_UID=my-pod-456 \
    PRIMUS_CONFIG=/config/primus.yaml PRIMUS_VERSION=1.2.3 \
    PRIMUS_LENS_API_BASE_URL=http://localhost:8080/api/v1 WANDB_MODE=offline \
    python examples/quickstart.py

Standard library and wandb only.
"""
from __future__ import annotations

import math
import random

import wandb

STEPS = 100


def loss_at(step: int, noise: random.Random) -> float:
    # Exponential decay towards a floor, with a little multiplicative noise, like a real run.
    clean = 0.12 + 2.2 * math.exp(-step / 22.0)
    return clean * (1.0 + noise.gauss(0.0, 0.03))


def accuracy_at(step: int, noise: random.Random) -> float:
    clean = 0.96 - 0.86 * math.exp(-step / 25.0)
    return min(1.0, max(0.0, clean + noise.gauss(0.0, 0.008)))


def main() -> None:
    noise = random.Random(1234)  # the same curve every run, so two demos compare
    run = wandb.init(
        project="my-project",
        name="my-run",
        config={"framework": "primus"},
    )

    for step in range(STEPS):
        loss = loss_at(step, noise)
        accuracy = accuracy_at(step, noise)
        wandb.log({"loss": loss, "accuracy": accuracy}, step=step)
        if step % 25 == 0 or step == STEPS - 1:
            print("step %3d  loss %.4f  accuracy %.4f" % (step, loss, accuracy), flush=True)

    wandb.finish()


if __name__ == "__main__":
    main()

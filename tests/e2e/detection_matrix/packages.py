"""Packages named like the training frameworks, copied into a temporary site folder.

`frameworks/<distribution>/` holds each one as plain source. Each has a `__version__`, gets pip
metadata here (a `.dist-info` folder, so `importlib.metadata` lists it as installed), and has the
module layout the exporter and the server look at and, where the real framework has one, the
state its own code keeps and the "is initialised" function of the real API, under the same names
(checked against each framework's source). Their training entry points call wandb the way the
real ones do: `wandb.init` where the framework calls it, with the config it passes, and
`wandb.log` with the metric names its own logging code uses. They also import what the real ones
import for their own plumbing (Lightning: torch.distributed.fsdp through torch's compiler stack,
and transformers when installed, through torchmetrics).

Nothing here is imported by the test process; the job scripts import it through PYTHONPATH.
"""
from __future__ import annotations

import os
import shutil
from typing import Dict, Iterable, Tuple

SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "frameworks")

VERSIONS: Dict[str, str] = {
    "torch": "2.4.0", "megatron-core": "0.8.0", "deepspeed": "0.14.4", "torchtitan": "0.1.0", "lightning": "2.3.0",
    "pytorch-lightning": "2.3.0", "transformers": "4.44.0", "accelerate": "0.33.0", "nemo-toolkit": "2.0.0",
    "colossalai": "0.4.0", "jax": "0.4.30", "primus": "0.4.0",
}

# What each distribution needs installed beside it (its own imports).
REQUIRES: Dict[str, Tuple[str, ...]] = {
    "megatron-core": ("torch",), "deepspeed": ("torch",), "torchtitan": ("torch",), "lightning": ("torch",),
    "pytorch-lightning": ("torch",), "transformers": ("torch", "accelerate"), "accelerate": ("torch",),
    "nemo-toolkit": ("torch", "lightning", "megatron-core"), "colossalai": ("torch",), "primus": ("torch",),
}


def closure(names: Iterable[str]) -> Tuple[str, ...]:
    out: Dict[str, None] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        out[name] = None
        pending.extend(REQUIRES.get(name, ()))
    return tuple(sorted(out))


def _copy_pytorch_lightning(folder: str) -> None:
    """pytorch_lightning is Lightning's trainer under its older top-level name."""
    source = os.path.join(SOURCES, "lightning", "lightning")
    target = os.path.join(folder, "pytorch_lightning")
    shutil.copytree(os.path.join(source, "pytorch"), target, dirs_exist_ok=True)
    shutil.copyfile(os.path.join(source, "__init__.py"), os.path.join(target, "__init__.py"))
    for here, _dirs, files in os.walk(target):
        for name in files:
            path = os.path.join(here, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read().replace("lightning.pytorch", "pytorch_lightning")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)


def write_site(folder: str, distributions: Iterable[str]) -> None:
    """Copies the distributions (and what they need) into `folder`, with their pip metadata."""
    os.makedirs(folder, exist_ok=True)
    for dist in closure(distributions):
        if dist == "pytorch-lightning":
            _copy_pytorch_lightning(folder)
            tops = ["pytorch_lightning"]
        else:
            shutil.copytree(os.path.join(SOURCES, dist), folder, dirs_exist_ok=True)
            tops = sorted(os.listdir(os.path.join(SOURCES, dist)))
        info = os.path.join(folder, "%s-%s.dist-info" % (dist.replace("-", "_"), VERSIONS[dist]))
        os.makedirs(info, exist_ok=True)
        with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as handle:
            handle.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (dist, VERSIONS[dist]))
        with open(os.path.join(info, "top_level.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(tops) + "\n")

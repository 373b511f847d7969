"""Installed package versions (importlib.metadata, one scan) and CI build information."""

from __future__ import annotations

import os
from typing import Any, Dict, Tuple

PACKAGES: Tuple[str, ...] = (
    "torch",
    "tensorflow",
    "jax",
    "jaxlib",
    "transformers",
    "deepspeed",
    "accelerate",
    "pytorch-lightning",
    "lightning",
    "triton",
    "flash-attn",
    "apex",
    "xformers",
    "bitsandbytes",
    "peft",
    "trl",
    "wandb",
    "tensorboard",
    "mlflow",
    "numpy",
    "scipy",
    "pandas",
    "datasets",
    "tokenizers",
    "safetensors",
    "einops",
    "mpi4py",
    "horovod",
    "ray",
    "megatron-core",
    "megatron-lm",
    "torchtitan",
    "primus",
    "nemo-toolkit",
    "colossalai",
    "transformer-engine",
    "vllm",
    "flax",
    "optax",
    "maxtext",
)

BUILD_VARS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("build_url", ("BUILD_URL", "CI_BUILD_URL", "JENKINS_BUILD_URL", "GITHUB_RUN_URL")),
    ("dockerfile_url", ("DOCKERFILE_URL", "DOCKER_FILE_URL")),
    ("image_tag", ("IMAGE_TAG", "DOCKER_IMAGE", "CONTAINER_IMAGE", "DOCKER_TAG")),
    ("build_date", ("BUILD_DATE", "BUILD_TIMESTAMP", "BUILD_TIME")),
    ("git_commit", ("GIT_COMMIT", "GIT_SHA", "CI_COMMIT_SHA", "GITHUB_SHA")),
    ("git_branch", ("GIT_BRANCH", "CI_COMMIT_BRANCH", "GITHUB_REF_NAME")),
    ("git_repo", ("GIT_REPO", "GIT_REPOSITORY", "GITHUB_REPOSITORY")),
    ("ci_pipeline_id", ("CI_PIPELINE_ID", "GITHUB_RUN_ID", "BUILD_NUMBER")),
)


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def package_versions() -> Dict[str, str]:
    """Versions of the framework-relevant packages that are installed; keys use `_` as before."""
    wanted = {_normalise(p) for p in PACKAGES}
    found: Dict[str, str] = {}
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python < 3.8 is unsupported anyway
        return found
    try:
        for dist in metadata.distributions():
            meta: Any = dist.metadata  # an email Message on every Python: .get() never raises
            name = meta.get("Name") or ""
            key = _normalise(name)
            if key in wanted and key.replace("-", "_") not in found:
                found[key.replace("-", "_")] = str(dist.version)
    except Exception:
        pass
    return dict(sorted(found.items()))


def build_info() -> Dict[str, str]:
    info: Dict[str, str] = {}
    for field, names in BUILD_VARS:
        for name in names:
            value = os.environ.get(name, "").strip()
            if value:
                info[field] = value
                break
    return info

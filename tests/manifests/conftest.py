"""The Go tools the manifests suite runs, built by scripts/ensure-helm.sh (once; instant after).

`make test` runs that script as its own set-up step; the fixture runs it again, so
`pytest tests/manifests` also works on its own. If the build fails, every test that needs a tool
fails with the script's output: nothing here is skipped.
"""
from __future__ import annotations

import os
import subprocess
from typing import Dict, List, Sequence

import pytest

from k8s_checks import ROOT

TOOLS = os.path.join(ROOT, ".tools", "bin")


@pytest.fixture(scope="session")
def tools() -> Dict[str, str]:
    script = os.path.join(ROOT, "scripts", "ensure-helm.sh")
    result = subprocess.run([script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=1800)
    assert result.returncode == 0, "scripts/ensure-helm.sh failed:\n" + result.stdout[-4000:]
    paths = {name: os.path.join(TOOLS, name) for name in ("helm", "kubestrict")}
    for name, path in paths.items():
        assert os.access(path, os.X_OK), "%s missing after scripts/ensure-helm.sh:\n%s" % (name, result.stdout)
    return paths


@pytest.fixture(scope="session")
def helm(tools: Dict[str, str]) -> str:
    return tools["helm"]


class Strict:
    """kubestrict: strict decoding into the Kubernetes API's Go types."""

    def __init__(self, path: str) -> None:
        self.path = path

    def run(self, files: Sequence[str] = (), text: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([self.path, *files], input=text if not files else None, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)

    def check(self, files: Sequence[str] = (), text: str = "") -> List[str]:
        result = self.run(files, text)
        assert result.returncode == 0, "kubestrict refused:\n" + result.stdout
        lines = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
        assert lines, result.stdout
        return lines


@pytest.fixture(scope="session")
def kubestrict(tools: Dict[str, str]) -> Strict:
    return Strict(tools["kubestrict"])

from __future__ import annotations

import os
import subprocess
import sys
from typing import Iterator

import pytest

from harness import ROOT, Server

# One implementation of the throw-away PostgreSQL cluster for the benchmark and these tests.
sys.path.insert(0, os.path.join(ROOT, "bench"))
from benchlib import postgres  # noqa: E402

# The server, `make demo`'s script and the node test runner must run on the Node release the
# server was built for (.node-version; make installs it into .tools/ and puts it on PATH). Do the
# same here, so that `pytest tests/e2e` by hand behaves as under make.
with open(os.path.join(ROOT, ".node-version"), encoding="utf-8") as _handle:
    _PINNED_NODE_BIN = os.path.join(ROOT, ".tools", "node-" + _handle.read().strip(), "bin")
if os.path.isdir(_PINNED_NODE_BIN):
    os.environ["PATH"] = _PINNED_NODE_BIN + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def installed_exporter() -> str:
    """The exporter must be the wheel in .venv, not the source tree: only a wheel install has the
    .pth that activates it in a plain `python script.py`."""
    probe = subprocess.run(
        [sys.executable, "-c", "import primus_lens_wandb_exporter as m; print(m.__file__)"],
        cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
    )
    assert probe.returncode == 0, "exporter not installed in %s (run `make build`):\n%s" % (sys.executable, probe.stderr)
    location = probe.stdout.strip()
    assert "site-packages" in location and not location.startswith(os.path.join(ROOT, "exporter")), location
    return location


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, installed_exporter: str) -> Iterator[Server]:
    """One server per test module; tests use distinct workload UIDs so they do not see each other."""
    instance = Server(str(tmp_path_factory.mktemp("server"))).start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Postgres]:
    """A throw-away PostgreSQL for the session (created in a temp folder, removed at the end);
    each test makes its own database in it. Small buffers: these tests are about behaviour."""
    with postgres.cluster(extra_settings={"shared_buffers": "128MB"}) as cluster:
        yield cluster

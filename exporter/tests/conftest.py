"""Shared test set-up: the exporter under test is the one in exporter/src.

`make build` wheel-installs the exporter into the dev venv, so its .pth has already imported the
installed copy (and registered the wandb import hook) before pytest starts. Unit tests must test
the source tree and must not have the real hook fire when they import the fake wandb, so both
are undone here, before any test module imports the package. Integration tests run the wheel
installed in the venvs made by setup_venvs.sh, in subprocesses.

This folder is on sys.path too, so every test imports the shared helpers the same way
(`from support.fake_server import FakeServer`, `from report.processes import run_sender`).
"""

from __future__ import annotations

import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(TESTS), "src")
PACKAGE = "primus_lens_wandb_exporter"

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "WandbImportFinder"]
_loaded = sys.modules.get(PACKAGE)
if _loaded is not None and not os.path.abspath(getattr(_loaded, "__file__", "") or "").startswith(SRC):
    for _name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[_name]
for _path in (TESTS, SRC):  # SRC ends up first
    if _path not in sys.path:
        sys.path.insert(0, _path)

"""Every way real code reaches wandb, against the fake wandb in both shapes, in a fresh interpreter
started through the wheel-installed `.pth` (nothing of ours is imported by the script).

Each case asserts that the hook was installed exactly once (one "Installing" line, one wrapper
layer on `Run._log`), that the finder is gone after the import, and that the first `log` reached
the capture server. The lookups that broke HF Trainer and Accelerate (`find_spec` before the
import) come first; a case that only looks wandb up must leave everything idle.
"""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any, Dict, List

import pytest

from .harness import REQUIRED_VENV, base_env, run_script
from support.fake_server import FakeServer

FAKES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fake_wandb")
SHAPES = ("old", "new")

# Each snippet ends with `wandb` bound to the imported package. `LOG` logs {"a": 1} in a run.
IMPORT_PATHS: Dict[str, str] = {
    "plain import": "import wandb",
    "find_spec probes first, then import": """
        import importlib.util
        for _ in range(3):
            assert importlib.util.find_spec("wandb") is not None
        import wandb
    """,
    "importlib.metadata probe first": """
        import importlib.metadata, importlib.util
        try:
            importlib.metadata.version("wandb")
        except importlib.metadata.PackageNotFoundError:
            pass
        importlib.util.find_spec("wandb")
        import wandb
    """,
    "importlib.import_module": "import importlib\nwandb = importlib.import_module('wandb')",
    "from wandb import init": "from wandb import init\nimport sys\nwandb = sys.modules['wandb']",
    "a wandb.sdk submodule first": "import wandb.sdk.wandb_run\nimport wandb",
    "lazy module on first attribute access": """
        import importlib, importlib.util, sys, types
        class Lazy(types.ModuleType):  # the shape of transformers' _LazyModule
            def __getattr__(self, name):
                module = importlib.import_module("wandb")
                setattr(self, name, module)
                return module
        assert importlib.util.find_spec("wandb") is not None  # as is_wandb_available() does
        sys.modules["lazy_integrations"] = Lazy("lazy_integrations")
        wandb = sys.modules["lazy_integrations"].wandb
    """,
    "importlib.util.LazyLoader": """
        import importlib.util, sys
        spec = importlib.util.find_spec("wandb")
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["wandb"] = module
        loader.exec_module(module)
        wandb = module
        wandb.init  # first attribute access executes wandb
    """,
    "imported on another thread while this one probes": """
        import importlib.util, sys, threading
        stop = threading.Event()
        def probe():
            while not stop.is_set():
                importlib.util.find_spec("wandb")
        prober = threading.Thread(target=probe); prober.start()
        box = {}
        def load():
            import wandb as module
            box["wandb"] = module
        loader = threading.Thread(target=load); loader.start(); loader.join(30)
        stop.set(); prober.join(30)
        wandb = box["wandb"]
    """,
    "forked child after a probe": """
        import importlib.util, os, sys
        importlib.util.find_spec("wandb")
        pid = os.fork()
        if pid:
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status))
        import wandb
    """,
}

LOG = """
run = wandb.init(project="p")
run.log({"a": 1.0})
run.finish()
import json, sys
from primus_lens_wandb_exporter.hook import import_hook
f, layers = sys.modules["wandb"].sdk.wandb_run.Run._log, 0
while hasattr(f, "__primus_lens_original__"):
    f, layers = f.__primus_lens_original__, layers + 1
print(json.dumps({"layers": layers, "finder": import_hook.is_registered(), "run": run.id}))
"""


def _run(tmp_path: Any, shape: str, code: str, **extra: str) -> Any:
    with FakeServer() as server:
        env = base_env(server.base_url, str(tmp_path), PYTHONPATH=os.path.join(FAKES, shape), **extra)
        done = run_script(REQUIRED_VENV, code, env)
    return done, server


def _check_captured(done: Any, server: FakeServer) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["layers"] == 1 and result["finder"] is False, result
    assert done.stderr.count("Installing WandB hook...") == 1, done.stderr
    assert [(p[2], p[3], p[4]) for p in server.points() if p[0] == result["run"]] == [("a", 0, 1.0)], done.stderr


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("path", sorted(IMPORT_PATHS))
def test_hook_is_installed_once_and_captures_the_first_log(tmp_path: Any, shape: str, path: str) -> None:
    code = textwrap.dedent(IMPORT_PATHS[path]).strip() + "\n" + LOG
    _check_captured(*_run(tmp_path, shape, code))


@pytest.mark.parametrize("shape", SHAPES)
def test_python_dash_m_and_spawned_children(tmp_path: Any, shape: str) -> None:
    """`python -m job` in the parent, and the same job started by multiprocessing's spawn: each a
    fresh interpreter that only the `.pth` can have prepared."""
    package = tmp_path / "jobpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text("import importlib.util\nimportlib.util.find_spec('wandb')\nimport wandb\n" + LOG)
    spawner = (
        "import multiprocessing as mp, runpy, sys\n"
        "def child():\n"
        "    runpy.run_module('jobpkg.train', run_name='__main__')\n"
        "if __name__ == '__main__':\n"
        "    p = mp.get_context('spawn').Process(target=child); p.start(); p.join(60)\n"
        "    sys.exit(p.exitcode)\n"
    )
    (package / "spawner.py").write_text(spawner)
    with FakeServer() as server:
        env = base_env(
            server.base_url, str(tmp_path), PYTHONPATH=os.pathsep.join([os.path.join(FAKES, shape), str(tmp_path)])
        )
        for module in ("jobpkg.train", "jobpkg.spawner"):
            done = _run_module(env, module, str(tmp_path))
            assert done.returncode == 0, done.stderr
            assert done.stderr.count("Installing WandB hook...") == 1, done.stderr
    points: List[Any] = server.points()
    assert len(points) == 2 and all(p[2:] == ("a", 0, 1.0) for p in points), points
    assert len({p[1] for p in points}) == 2  # one run in each interpreter


def _run_module(env: Dict[str, str], module: str, cwd: str) -> Any:
    import subprocess

    from .harness import SCRIPT_TIMEOUT_S, require_venv

    return subprocess.run(
        [require_venv(REQUIRED_VENV), "-m", module],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_lookups_and_a_bare_import_start_nothing(tmp_path: Any, shape: str) -> None:
    """A library that checks for wandb, or a job that imports it and never starts a run: the hook
    waits (after lookups) or is installed (after the import), but no reporter, no thread, no
    helper process and no "Started" line."""
    code = textwrap.dedent("""
        import importlib.util, json, sys, threading
        for _ in range(5):
            importlib.util.find_spec("wandb")
        from primus_lens_wandb_exporter.hook import import_hook
        waiting = import_hook.is_registered() and "wandb" not in sys.modules
        import wandb
        from primus_lens_wandb_exporter import report
        print(json.dumps({"waiting": waiting, "finder": import_hook.is_registered(),
                          "reporter": report.current_reporter() is not None, "threads": threading.active_count(),
                          "patched": hasattr(wandb.sdk.wandb_run.Run._log, "__primus_lens_original__")}))
    """)
    done, server = _run(tmp_path, shape, code)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"waiting": True, "finder": False, "reporter": False, "threads": 1, "patched": True}, result
    assert "Started" not in done.stderr and "Installing WandB hook..." in done.stderr
    assert server.bodies == []

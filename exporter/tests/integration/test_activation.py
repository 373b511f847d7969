"""Activation through the real wheel install: the .pth start-up, laziness, the kill switch,
the fake wandb patched through the import hook, and `python -m primus_lens_wandb_exporter check`."""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import zipfile
from typing import Any, Dict

from .harness import REQUIRED_VENV, VENV_ROOT, base_env, require_venv, run_script
from support.fake_server import FakeServer

FAKE_NEW = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fake_wandb", "new")

PROBE = """
import json, sys, threading
print(json.dumps({
    "wandb_imported": "wandb" in sys.modules,
    "exporter_modules": sorted(m for m in sys.modules if m.startswith("primus_lens_wandb_exporter")),
    "finder": any(type(f).__name__ == "WandbImportFinder" for f in sys.meta_path),
    "threads": threading.active_count(),
}))
"""


def probe(env: Dict[str, str], code: str = PROBE) -> Dict[str, Any]:
    done = subprocess.run(
        [require_venv(REQUIRED_VENV), "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def fake_wandb_env(tmp_path: Any) -> Dict[str, str]:
    """The fake wandb (0.31 shape) on the path; nothing sent, every row saved locally."""
    return base_env(
        "http://127.0.0.1:9/api/v1",
        str(tmp_path),
        PYTHONPATH=FAKE_NEW,
        PRIMUS_LENS_WANDB_API_REPORTING="false",
        PRIMUS_LENS_WANDB_SAVE_LOCAL="true",
        PRIMUS_LENS_WANDB_OUTPUT_PATH=str(tmp_path),
    )


def check(env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m primus_lens_wandb_exporter check`, as a user runs it."""
    return subprocess.run(
        [require_venv(REQUIRED_VENV), "-m", "primus_lens_wandb_exporter", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wheel_ships_pth_and_start_at_purelib_root() -> None:
    wheels = glob.glob(os.path.join(VENV_ROOT, ".wheel", "*.whl"))
    assert len(wheels) == 1, "run exporter/tests/setup_venvs.sh"
    with zipfile.ZipFile(wheels[0]) as whl:
        names = whl.namelist()
        assert "primus_lens_wandb_exporter.pth" in names and "primus_lens_wandb_exporter.start" in names
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        assert "primus_lens_wandb_exporter.pth," in whl.read(record).decode()  # pip uninstall removes it
        pth = whl.read("primus_lens_wandb_exporter.pth").decode().strip()
        start = whl.read("primus_lens_wandb_exporter.start").decode().strip()
    assert pth.startswith("import primus_lens_wandb_exporter._boot")
    assert start == "primus_lens_wandb_exporter._boot:install"


def test_interpreter_start_registers_only_a_lazy_finder(tmp_path: Any) -> None:
    result = probe(base_env("http://127.0.0.1:9/api/v1", str(tmp_path)))
    assert result["finder"] is True and result["wandb_imported"] is False
    assert result["threads"] == 1 and result["stderr"] == ""
    assert result["exporter_modules"] == [
        "primus_lens_wandb_exporter",
        "primus_lens_wandb_exporter._boot",
        "primus_lens_wandb_exporter.hook",
        "primus_lens_wandb_exporter.hook.import_hook",
    ]


def test_kill_switch_does_nothing_at_all(tmp_path: Any) -> None:
    env = base_env("http://127.0.0.1:9/api/v1", str(tmp_path), PRIMUS_LENS_WANDB_HOOK="false")
    assert probe(env)["finder"] is False
    code = "import wandb\nrun = wandb.init(project='p')\nrun.log({'a': 1})\nrun.finish()\n" + PROBE
    result = probe(env, code)
    assert result["exporter_modules"] == ["primus_lens_wandb_exporter", "primus_lens_wandb_exporter._boot"]
    assert "Primus Lens" not in result["stderr"]


def test_import_hook_patches_fake_wandb_and_keeps_its_loader(tmp_path: Any) -> None:
    env = fake_wandb_env(tmp_path)
    code = (
        "import wandb, wandb.sdk.wandb_run as wr\n"
        "assert hasattr(wr.Run._log, '__primus_lens_original__') and hasattr(wr.Run._finish, '__primus_lens_original__')\n"
        "assert type(wandb.__spec__.loader).__name__ != '_PatchAfterExecLoader' and wandb.__loader__ is wandb.__spec__.loader\n"
        "assert not any(type(f).__name__ == 'WandbImportFinder' for f in __import__('sys').meta_path)\n" + PROBE
    )
    result = probe(env, code)
    assert "[Primus Lens WandB] Installing WandB hook..." in result["stderr"]
    assert "API reporting enabled" not in result["stderr"]


def test_wandb_imported_before_boot_is_patched_at_once(tmp_path: Any) -> None:
    env = fake_wandb_env(tmp_path)
    code = (
        "import sys, wandb\n"
        "import primus_lens_wandb_exporter._boot as boot\n"
        "boot._installed = False\n"  # as if site ran us after wandb was imported
        "from primus_lens_wandb_exporter.hook import activate, import_hook\n"
        "import_hook.unregister(); activate._state['done'] = False\n"
        "boot.install()\n"
        "assert hasattr(wandb.sdk.wandb_run.Run._log, '__primus_lens_original__')\n" + PROBE
    )
    probe(env, code)


def test_check_command_round_trips_to_the_api(tmp_path: Any) -> None:
    with FakeServer() as server:
        env = base_env(server.base_url, str(tmp_path), RANK="0", LOCAL_RANK="0", WORLD_SIZE="8", NODE_RANK="1")
        done = check(env)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "primus_lens_wandb_exporter.pth" in out and "primus_lens_wandb_exporter.start" in out
    assert "hook:         active: waiting for `import wandb`" in out
    assert "PRIMUS_LENS_API_BASE_URL         = %s" % server.base_url in out
    assert "PRIMUS_LENS_WANDB_QUEUE_SIZE     = 100000 (default)" in out
    assert "workload_uid: w-test" in out and "rank=0 local_rank=0 world_size=8 node_rank=1" in out
    assert "API round-trip: OK" in out and "HTTP 200" in out and '"code": 2000' in out
    assert re.search(r"Sender: process: shipper \(pid \d+\) started and answered in \d+ ms", out), out
    bodies = server.of("/wandb/metrics")
    assert len(bodies) == 1 and bodies[0]["metrics"] == [] and bodies[0]["workload_uid"] == "w-test"


def test_check_command_says_the_exporter_is_off_instead_of_failing(tmp_path: Any) -> None:
    env = base_env("http://127.0.0.1:9/api/v1", str(tmp_path), PRIMUS_LENS_WANDB_HOOK="false")
    done = check(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout and "the exporter is switched off (PRIMUS_LENS_WANDB_HOOK=false)" in done.stdout


def test_check_command_reports_an_unreachable_api(tmp_path: Any) -> None:
    env = base_env("http://127.0.0.1:9/api/v1", str(tmp_path), PRIMUS_LENS_WANDB_TIMEOUT="1")
    done = check(env)
    assert done.returncode == 1 and "API round-trip: FAILED" in done.stdout and "WORKLOAD_UID" not in done.stderr


def test_check_command_says_when_the_shipper_cannot_start_and_what_happens_then(tmp_path: Any) -> None:
    """A training image whose Python cannot start another interpreter still gets its data sent."""
    code = (
        "import sys, io\n"
        "sys.executable = '/nonexistent/python'\n"
        "from primus_lens_wandb_exporter import cli\n"
        "buffer = io.StringIO(); cli.check(buffer); print(buffer.getvalue())\n"
    )
    with FakeServer() as server:
        env = base_env(server.base_url, str(tmp_path))
        done = run_script(REQUIRED_VENV, code, env)
    assert (
        "Sender: process: FAILED to start the shipper (no usable Python executable ('/nonexistent/python'))"
        in done.stdout
    ), done.stdout + done.stderr
    assert "jobs will send from a thread instead" in done.stdout


def test_missing_workload_uid_warns_once_and_reports_under_pod_name(tmp_path: Any) -> None:
    from . import scripts

    with FakeServer() as server:
        env = base_env(server.base_url, str(tmp_path))
        del env["WORKLOAD_UID"]
        done = run_script(REQUIRED_VENV, scripts.PATHS, env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("WORKLOAD_UID not set") == 1 and "'pod:pod-0'" in done.stderr
    bodies = server.of("/wandb/metrics") + server.of("/wandb/detection")
    assert bodies and all(b["workload_uid"] == "" and b["pod_name"] == "pod-0" for b in bodies)

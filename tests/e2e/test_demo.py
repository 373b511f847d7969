"""`make demo`'s pieces: examples/quickstart.py, examples/show_result.py and scripts/demo.sh,
against a real server, including the Ctrl-C that ends the demo."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import List

from harness import ROOT, Server, clean_env, free_port, http_json, run_python

QUICKSTART = os.path.join(ROOT, "examples", "quickstart.py")
SHOW_RESULT = os.path.join(ROOT, "examples", "show_result.py")
DEMO = os.path.join(ROOT, "scripts", "demo.sh")


def stop_left_over_server(pid_file: str) -> None:
    """The demo's server has a session of its own, so killing the demo's group misses it."""
    try:
        with open(pid_file) as handle:
            os.kill(int(handle.read().strip()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def mean(values: List[float]) -> float:
    return sum(values) / len(values)


def test_quickstart_example_stores_a_decreasing_loss_and_rising_accuracy(server: Server, tmp_path) -> None:
    env = clean_env({"WORKLOAD_UID": "demo-example-1", "POD_UID": "demo-pod-1", "PRIMUS_CONFIG": "/config/primus.yaml",
                     "PRIMUS_VERSION": "1.2.3", "PRIMUS_LENS_API_BASE_URL": server.api, "WANDB_MODE": "offline"},
                    str(tmp_path))
    done = run_python(QUICKSTART, env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-4000:]
    assert "  Detected frameworks: ['primus']" in done.stderr.splitlines()

    [loss] = server.series("demo-example-1", "loss")
    [accuracy] = server.series("demo-example-1", "accuracy")
    assert [p[0] for p in loss["points"]] == list(range(100))
    losses = [p[1] for p in loss["points"]]
    accuracies = [p[1] for p in accuracy["points"]]
    assert mean(losses[:10]) > 3 * mean(losses[-10:]) > 0
    assert mean(accuracies[-10:]) > mean(accuracies[:10]) + 0.5
    # Noisy but trending: most ten-step windows improve on the previous one.
    windows = [mean(losses[i:i + 10]) for i in range(0, 100, 10)]
    assert sum(b < a for a, b in zip(windows, windows[1:])) >= 8

    shown = subprocess.run([sys.executable, SHOW_RESULT, "--base-url", server.api, "--workload", "demo-example-1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "framework   primus" in shown.stdout
    assert "loss" in shown.stdout and "accuracy" in shown.stdout
    assert "Loss, latest run" in shown.stdout


def test_show_result_says_so_when_the_workload_is_unknown(server: Server) -> None:
    shown = subprocess.run([sys.executable, SHOW_RESULT, "--base-url", server.api, "--workload", "no-such-workload"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert shown.returncode == 1
    assert "404" in shown.stderr


def test_demo_script_runs_the_quickstart_then_serves_until_ctrl_c(tmp_path, installed_exporter: str) -> None:
    port = free_port()
    env = clean_env({"PORT": str(port), "PY": sys.executable, "DEMO_DIR": str(tmp_path / "demo"),
                     "LENS_DATABASE_URL": str(tmp_path / "demo.db")}, str(tmp_path))
    # A process group of its own stands in for the terminal's foreground group that Ctrl-C signals.
    demo = subprocess.Popen(["bash", DEMO], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, start_new_session=True)
    output: List[str] = []
    try:
        deadline = time.monotonic() + 180
        assert demo.stdout is not None
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            if "press Ctrl-C" in line:
                break
        text = "".join(output)
        assert "press Ctrl-C" in text, text
        assert "[Primus Lens API Reporter] Stopped. Stats: {'detection_sent': 1, 'metrics_sent': 100, 'errors': 0" in text
        assert "Framework detection for my-workload-123" in text and "framework   primus" in text, text
        assert "Dashboard:  http://localhost:%d/" % port in text
        assert http_json("GET", "http://127.0.0.1:%d/healthz" % port)[0] == 200

        os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
        assert demo.returncode == 0, text + rest
        assert "stopping the server" in rest
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
            stop_left_over_server(str(tmp_path / "demo" / "server.pid"))
    # The server was stopped with the demo, not left behind.
    try:
        http_json("GET", "http://127.0.0.1:%d/healthz" % port, timeout_s=2)
        still_up = True
    except OSError:
        still_up = False
    assert not still_up

"""`make test`'s plumbing: scripts/run_suite.py records every suite however it ends, and
scripts/summarize_junit.py turns the records into the last line, `N passed, M failed`.

Real runners produce the reports here (pytest and node's own test runner, the two formats
`make test` sums), so a change in either format shows up as a failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_SUITE = os.path.join(ROOT, "scripts", "run_suite.py")
SUMMARIZE = os.path.join(ROOT, "scripts", "summarize_junit.py")


def run_suite(junit_dir: str, name: str, command: List[str], kind: str = "junit", timeout_s: float = 120) -> None:
    report = os.path.join(junit_dir, name + ".xml")
    done = subprocess.run(
        [sys.executable, RUN_SUITE, "--kind", kind, "--name", name, "--report", report,
         "--timeout", str(timeout_s), "--", *command],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout_s + 60,
    )
    assert done.returncode == 0, done.stdout.decode()  # run_suite never stops make by itself


def summarize(junit_dir: str) -> Tuple[int, List[str]]:
    done = subprocess.run([sys.executable, SUMMARIZE, junit_dir], stdout=subprocess.PIPE, timeout=60)
    return done.returncode, done.stdout.decode().splitlines()


def pytest_suite(tmp_path: str, junit_dir: str, name: str, body: str) -> None:
    test_file = os.path.join(tmp_path, "test_%s.py" % name)
    with open(test_file, "w") as handle:
        handle.write(textwrap.dedent(body))
    run_suite(junit_dir, name, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file,
                                "--junitxml=%s" % os.path.join(junit_dir, name + ".xml")])


def test_pytest_and_node_reports_are_summed_into_one_last_line(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    pytest_suite(str(tmp_path), junit, "py", """
        def test_a(): assert 1 + 1 == 2
        def test_b(): assert "x".upper() == "X"
        def test_c(): assert [] == [0]
    """)
    node_test = tmp_path / "sample.test.mjs"
    node_test.write_text(textwrap.dedent("""
        import { test, describe } from 'node:test';
        import assert from 'node:assert/strict';
        describe('group', () => {
          test('adds', () => assert.equal(1 + 1, 2));
          test('fails', () => assert.equal(1 + 1, 3));
        });
        test('top level passes', () => assert.ok(true));
    """))
    node_report = os.path.join(junit, "node.xml")
    run_suite(junit, "node", ["node", "--test", "--test-reporter=junit",
                              "--test-reporter-destination=%s" % node_report, str(node_test)])

    rc, lines = summarize(junit)
    assert lines[-1] == "4 passed, 2 failed"
    assert rc == 1
    assert any("test_c" in line for line in lines) and any("fails" in line for line in lines)


def test_all_green_exits_zero(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    pytest_suite(str(tmp_path), junit, "green", "def test_ok(): assert True\n")
    run_suite(junit, "setup-ok", [sys.executable, "-c", "pass"], kind="setup")
    run_suite(junit, "smoke", [sys.executable, "-c", "print('bench ok')"], kind="fallback")
    rc, lines = summarize(junit)
    assert lines[-1] == "2 passed, 0 failed"
    assert rc == 0


def test_a_suite_that_crashes_without_a_report_counts_as_failed(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    pytest_suite(str(tmp_path), junit, "green", "def test_ok(): assert True\n")
    run_suite(junit, "crashy", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])
    rc, lines = summarize(junit)
    assert lines[-1] == "1 passed, 1 failed"
    assert rc == 1
    assert any("crashed without a report (exit 3)" in line for line in lines)


def test_a_non_zero_exit_with_an_all_green_report_counts_as_failed(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    report = os.path.join(junit, "liar.xml")
    script = ("import sys; open(sys.argv[1], 'w').write('<testsuites><testsuite><testcase name=\"t\"/>"
              "</testsuite></testsuites>'); sys.exit(1)")
    run_suite(junit, "liar", [sys.executable, "-c", script, report])
    rc, lines = summarize(junit)
    assert lines[-1] == "1 passed, 1 failed"
    assert rc == 1


def test_failed_setup_and_failed_smoke_script_are_failures(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    run_suite(junit, "setup-bad", [sys.executable, "-c", "import sys; sys.exit(2)"], kind="setup")
    run_suite(junit, "smoke-bad", [sys.executable, "-c", "import sys; sys.exit(1)"], kind="fallback")
    rc, lines = summarize(junit)
    assert lines[-1] == "0 passed, 2 failed"
    assert rc == 1


def test_a_hanging_suite_is_killed_at_its_timeout_and_counted(tmp_path) -> None:
    junit = str(tmp_path / "junit")
    started = time.monotonic()
    run_suite(junit, "hang", [sys.executable, "-c", "import time; time.sleep(120)"], timeout_s=1)
    assert time.monotonic() - started < 30
    rc, lines = summarize(junit)
    assert lines[-1] == "0 passed, 1 failed"
    assert any("timed out" in line or "crashed" in line for line in lines)
    assert rc == 1


def test_no_reports_at_all_is_a_failure(tmp_path) -> None:
    junit = tmp_path / "junit"
    junit.mkdir()
    rc, lines = summarize(str(junit))
    assert lines[-1] == "0 passed, 0 failed"
    assert rc == 1

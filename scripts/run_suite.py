"""Run one test suite for `make test` and record how it ended, whatever happened.

`make test` must keep going past a failing suite and still tell a crash apart from a red test,
so every suite runs through here: the output is streamed to the terminal and kept in a log, the
exit status and run time go to `<report>.run.json`, and `scripts/summarize_junit.py` later reads
those records next to the JUnit files. This script itself exits 0 unless it was interrupted.

Kinds:
  junit      the command writes its own JUnit report; a missing report is a crash.
  fallback   use the command's report when it writes one, else record one test from the exit status
             (for scripts such as bench/smoke.sh that have no JUnit output of their own).
  setup      an installation step: recorded as a failed test only when it fails.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, List, Optional
from xml.sax.saxutils import escape, quoteattr

TAIL_LINES = 60


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="suite name shown in the summary")
    parser.add_argument("--report", required=True, help="JUnit XML path the suite writes (or we write)")
    parser.add_argument("--kind", choices=("junit", "fallback", "setup"), default="junit")
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before the suite is killed")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments")
    args = parser.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        parser.error("no command given after --")
    return args


def _pump(source: IO[bytes], log: IO[bytes], tail: List[str]) -> None:
    for raw in iter(source.readline, b""):
        log.write(raw)
        log.flush()
        try:
            sys.stdout.buffer.write(raw)
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass
        tail.append(raw.decode("utf-8", "replace").rstrip("\n"))
        del tail[:-TAIL_LINES]


def write_synthetic_report(path: str, name: str, failed: bool, message: str, output: str, seconds: float) -> None:
    """One testcase standing for the whole command (only for commands without a JUnit report)."""
    body = ""
    if failed:
        body = "<failure message=%s>%s</failure>" % (quoteattr(message), escape(output))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<testsuites><testsuite name=%s tests="1" failures="%d" errors="0" skipped="0" time="%.3f">'
        '<testcase classname=%s name=%s time="%.3f">%s</testcase></testsuite></testsuites>\n'
        % (quoteattr(name), int(failed), seconds, quoteattr(name), quoteattr(name), seconds, body)
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(xml)


def write_empty_report(path: str, name: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name=%s tests="0"></testsuites>\n' % quoteattr(name))


def run(args: argparse.Namespace) -> int:
    report = os.path.abspath(args.report)
    os.makedirs(os.path.dirname(report), exist_ok=True)
    if os.path.exists(report):
        os.remove(report)  # a stale report must never stand in for this run
    log_path = report[: -len(".xml")] + ".log" if report.endswith(".xml") else report + ".log"
    print("\n==> suite %s: %s" % (args.name, " ".join(args.command)), flush=True)

    started = time.monotonic()
    tail: List[str] = []
    timed_out = False
    interrupted: Optional[int] = None
    with open(log_path, "wb") as log:
        try:
            # A session of its own, so a timeout can stop the suite's whole process tree and
            # nothing else.
            child = subprocess.Popen(
                args.command, cwd=args.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            tail.append("could not start: %s" % exc)
            rc = 127
        else:
            def stop(signum: int, _frame: object) -> None:
                nonlocal interrupted
                interrupted = signum
                _kill_group(child)

            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
            assert child.stdout is not None
            pump = threading.Thread(target=_pump, args=(child.stdout, log, tail), daemon=True)
            pump.start()
            try:
                rc = child.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(child)
                rc = child.wait(timeout=30)
            pump.join(timeout=10)
    seconds = time.monotonic() - started

    output = "\n".join(tail)
    if args.kind == "setup":
        if rc == 0:
            write_empty_report(report, args.name)
        else:
            write_synthetic_report(report, args.name, True, "setup step failed (exit %d)" % rc, output, seconds)
    elif args.kind == "fallback" and not os.path.exists(report):
        write_synthetic_report(report, args.name, rc != 0 or timed_out, "exit %d" % rc, output, seconds)

    record = {"name": args.name, "rc": rc, "timed_out": timed_out, "seconds": round(seconds, 1),
              "report": os.path.basename(report), "log": os.path.basename(log_path)}
    with open(report + ".run.json", "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    verdict = "timed out after %.0f s" % args.timeout if timed_out else "exit %d" % rc
    print("<== suite %s: %s in %.1f s" % (args.name, verdict, seconds), flush=True)
    if interrupted is not None:
        return 128 + interrupted
    return 0


def _kill_group(child: "subprocess.Popen[bytes]") -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    sys.exit(run(parse_args(sys.argv[1:])))

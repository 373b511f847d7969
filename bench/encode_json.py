"""The exporter's wire encoder against the standard json module, in both places it runs.

usage: .venv/bin/python bench/encode_json.py [--rows 20000] [--reps 5]

report/encode.py writes the points of a metrics body by hand (names escaped once and cached, a
row's step/timestamp written once per row) instead of calling json.dumps on the whole body.
That costs code; this measures what it buys, A/B interleaved in one run:

1. isolated: µs of CPU per point to turn a 2,000-point body (200 rows x 10 scalars) into JSON,
   with gzip and body building beside it for scale;
2. thread mode (PRIMUS_LENS_WANDB_SENDER=thread): a process submits ROWS rows of 10 scalars to a
   Sender that sends them to a sink; the process's CPU per point. Here every µs of encoding holds
   the GIL the training thread needs;
3. process mode (the default): the same through the shipper; the shipper process's CPU per
   point. Here the encoding runs on another core, but it is most of what the shipper spends, and
   it bounds the points per second one shipper can send.

The "json" variant swaps encode.to_json for plain json.dumps through a sitecustomize.py on
PYTHONPATH, so the shipper process, which link.py starts with the same PYTHONPATH, gets it too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib.servers import REPO, Sink  # noqa: E402

SRC = os.path.join(REPO, "exporter", "src")
PY = os.path.join(REPO, ".venv", "bin", "python")
SWAP = "import primus_lens_wandb_exporter.report.encode as e\ne.to_json = e._dumps\n"

CHILD = r"""
import json, os, sys, time
from primus_lens_wandb_exporter import config
from primus_lens_wandb_exporter.model import RunInfo
from primus_lens_wandb_exporter.report import encode, make_reporter

rows = int(sys.argv[1])
reporter = make_reporter(config.load())
run = RunInfo("bench", "bench", "bench")
data = [{"train/m%d" % j: i * 0.001 + j for j in range(10)} for i in range(rows)]
reporter.submit_plain(run, 0, time.time(), data[0])
reporter.flush(60.0)  # the shipper is up and warm before the clock starts
pid = getattr(reporter, "shipper_pid", None)

def cpu():
    if pid is None:
        t = os.times()
        return t.user + t.system
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

c0, t0 = cpu(), time.perf_counter()
for i in range(1, rows):
    reporter.submit_plain(run, i, time.time(), data[i])
done = reporter.flush(120.0)
c1, t1 = cpu(), time.perf_counter()
stats = reporter.stats()
reporter.shutdown()
print(json.dumps({"cpu_s": c1 - c0, "wall_s": t1 - t0, "done": done, "points_sent": stats["points_sent"],
                  "swapped": encode.to_json is encode._dumps}))
"""


def isolated(reps: int) -> Dict[str, float]:
    sys.path.insert(0, SRC)
    import random

    from primus_lens_wandb_exporter.model import Identity, Row, RunInfo
    from primus_lens_wandb_exporter.report import encode

    run = RunInfo("r", "p", "n")
    base = encode.identity_fields(Identity("w", "pu", "pod", "ns", 0, 0, 8, 0, "host", 1), "bench")
    rng = random.Random(5)
    rows = [Row(run, i, 1.7e9 + i * 0.01, {"train/m%d" % j: rng.random() * 10 for j in range(10)}) for i in range(200)]
    ids = iter(range(10**9))
    (body,) = encode.metrics_bodies(rows, base, 2000, lambda: "b-%d" % next(ids), lambda n, e: None)
    assert json.loads(encode.to_json(body)) == json.loads(encode._dumps(body))
    text = encode.to_json(body).encode()
    calls = {
        "hand_json": lambda: encode.to_json(body),
        "std_json": lambda: encode._dumps(body),
        "gzip": lambda: encode.gzip.compress(text, encode.GZIP_LEVEL),
        "build_body": lambda: encode.metrics_bodies(rows, base, 2000, lambda: "b", lambda n, e: None),
    }
    samples: Dict[str, List[float]] = {name: [] for name in calls}
    for rep in range(reps * 3):
        order = list(calls) if rep % 2 == 0 else list(reversed(calls))
        for name in order:
            start = time.thread_time_ns()
            for _ in range(20):
                calls[name]()
            samples[name].append((time.thread_time_ns() - start) / 20 / 2000 / 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def end_to_end(sender: str, variant: str, rows: int, sink: Sink, swap_dir: str) -> Dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_LENS_", "WANDB_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(([swap_dir] if variant == "json" else []) + [SRC]),
        PRIMUS_LENS_API_BASE_URL="http://127.0.0.1:%d/api/v1" % sink.port,
        PRIMUS_LENS_WANDB_SENDER=sender,
        PRIMUS_LENS_WANDB_SPOOL_DIR=os.path.join(swap_dir, "spool"),
        PRIMUS_LENS_WANDB_QUEUE_SIZE=str(rows * 10 + 10),  # measure encoding, not drops
        WORKLOAD_UID="bench",
    )
    proc = subprocess.run([PY, "-c", CHILD, str(rows)], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["swapped"] != (variant == "json") and sender == "thread":
        raise RuntimeError("the json variant did not take effect")
    if not result["done"] or result["points_sent"] != rows * 10:
        raise RuntimeError("not everything was delivered: %s" % result)
    result["us_per_point"] = result["cpu_s"] / (rows * 10) * 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print("isolated, µs CPU per point (median of %d):" % (args.reps * 3))
    iso = isolated(args.reps)
    for name, value in iso.items():
        print("  %-10s %.3f" % (name, value))
    print("  json.dumps / hand-written: %.2fx" % (iso["std_json"] / iso["hand_json"]))
    sink = Sink()
    with tempfile.TemporaryDirectory() as swap_dir:
        with open(os.path.join(swap_dir, "sitecustomize.py"), "w") as fh:
            fh.write(SWAP)
        for sender, whose in (("thread", "training process"), ("process", "shipper process")):
            per: Dict[str, List[float]] = {"hand": [], "json": []}
            for rep in range(args.reps):
                for variant in ("hand", "json") if rep % 2 == 0 else ("json", "hand"):
                    per[variant].append(end_to_end(sender, variant, args.rows, sink, swap_dir)["us_per_point"])
            hand, std = statistics.median(per["hand"]), statistics.median(per["json"])
            print("%s mode: %s CPU per point, median of %d: hand-written %.2f µs, json.dumps %.2f µs (%.2fx)"
                  % (sender, whose, args.reps, hand, std, std / hand))
            print("  samples hand %s" % ", ".join("%.2f" % v for v in per["hand"]))
            print("  samples json %s" % ", ".join("%.2f" % v for v in per["json"]))
    sink.close()


if __name__ == "__main__":
    main()

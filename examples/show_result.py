"""Print what the telemetry processor knows about a workload: its detected framework and a
summary of its metrics, with the latest run's loss curve as a text sparkline.

    python examples/show_result.py --base-url http://localhost:8080/api/v1 --workload my-workload-123

Standard library only, so it runs in any Python next to a training job. Exits 1 when the
workload has no detection or no metrics yet, with the server's answer.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

SPARK = "▁▂▃▄▅▆▇█"


class ApiError(Exception):
    pass


def get_json(url: str, timeout_s: float = 5.0) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ApiError("%s -> HTTP %d: %s" % (url, exc.code, exc.read().decode("utf-8", "replace")[:300]))
    except (urllib.error.URLError, OSError) as exc:
        raise ApiError("%s -> %s" % (url, exc))
    # Ingest answers use the original's {meta, data} envelope; accept query answers either way.
    if isinstance(body, dict) and "meta" in body and "data" in body:
        return body["data"]
    return body


def as_number(value: Any) -> Optional[float]:
    """Numbers come as JSON numbers or as "NaN"/"Infinity"/"-Infinity" (docs/wire-format.md)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return None


def fmt(value: Any) -> str:
    number = as_number(value)
    if number is None:
        return "-"
    if math.isnan(number) or math.isinf(number):
        return str(value)
    return "%.4g" % number


def list_under(payload: Any, key: str) -> List[Dict[str, Any]]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        return payload[key]
    return []


def sparkline(values: List[float], width: int = 50) -> str:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(values) > width:  # keep the last value of each bucket, as the server does
        values = [values[min(len(values) - 1, (i + 1) * len(values) // width - 1)] for i in range(width)]
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    return "".join(
        SPARK[int((v - low) / span * (len(SPARK) - 1))] if math.isfinite(v) else "!" for v in values
    )


def show_detection(base: str, workload: str) -> bool:
    detection = get_json("%s/workloads/%s/framework-detection" % (base, urllib.parse.quote(workload, safe="")))
    print("Framework detection for %s" % workload)
    print("  framework   %s (wrapper: %s, base: %s)" % (
        detection.get("framework"), detection.get("wrapper_framework") or "-", detection.get("base_framework") or "-"))
    print("  confidence  %s   status: %s   method: %s" % (
        fmt(detection.get("confidence")), detection.get("status"), detection.get("method")))
    for source in list_under(detection, "sources")[:5]:
        result = source.get("result") if isinstance(source.get("result"), dict) else source
        print("  source      %s: %s (%s)" % (source.get("source"), result.get("framework"), fmt(result.get("confidence"))))
    return bool(detection.get("framework")) and detection.get("framework") != "unknown"


def latest_series(base: str, workload: str, name: str) -> Tuple[str, List[float]]:
    query = urllib.parse.urlencode({"name": name, "max_points": 1000})
    payload = get_json("%s/workloads/%s/metrics/series?%s" % (base, urllib.parse.quote(workload, safe=""), query))
    best: Optional[Dict[str, Any]] = None
    for series in list_under(payload, "series"):
        points = series.get("points") or []
        if points and (best is None or points[-1][2] > best["points"][-1][2]):
            best = series
    if best is None:
        return "", []
    values = [as_number(p[1]) for p in best["points"]]
    return str(best.get("run_id")), [v for v in values if v is not None]


def show_metrics(base: str, workload: str) -> bool:
    metrics = list_under(get_json("%s/workloads/%s/metrics" % (base, urllib.parse.quote(workload, safe=""))), "metrics")
    print("Metrics (%d names)" % len(metrics))
    print("  %-24s %8s %10s %10s %10s" % ("name", "points", "last", "min", "max"))
    for metric in metrics:
        print("  %-24s %8s %10s %10s %10s" % (
            metric.get("name"), metric.get("count"), fmt(metric.get("last")), fmt(metric.get("min")), fmt(metric.get("max"))))
    names = [m.get("name") for m in metrics]
    if "loss" in names:
        run_id, values = latest_series(base, workload, "loss")
        if values:
            print("Loss, latest run %s, %d steps: %s -> %s" % (run_id, len(values), fmt(values[0]), fmt(values[-1])))
            print("  %s" % sparkline(values))
    return bool(metrics)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8080/api/v1")
    parser.add_argument("--workload", default="my-workload-123")
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    try:
        detected = show_detection(base, args.workload)
        print()
        has_metrics = show_metrics(base, args.workload)
    except ApiError as exc:
        print("Could not read the result: %s" % exc, file=sys.stderr)
        return 1
    if not (detected and has_metrics):
        print("The workload has no detection or no metrics yet.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

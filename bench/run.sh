#!/usr/bin/env bash
# The full benchmark (make bench): ours vs MLflow, up to ~30 minutes. Never run in CI.
# Results: bench/results/<timestamp>/{results.json,report.md}; BENCHMARKS.md quotes them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bench/setup_mlflow.sh
OUT="bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
.venv/bin/python bench/bench.py --size full --out "$OUT" ${LENS_BENCH_ONLY:+--only "$LENS_BENCH_ONLY"} "$@"
echo "report: $OUT/report.md"

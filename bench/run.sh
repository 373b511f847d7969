#!/usr/bin/env bash
# The full benchmark (make bench): ours (SQLite and PostgreSQL) vs MLflow, ~30-45 minutes. Never run in CI.
# Results: bench/results/<timestamp>/{results.json,report.md}; BENCHMARKS.md quotes them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bench/setup_mlflow.sh
# PostgreSQL's binaries for the throw-away clusters (Debian's postgresql-15; installed once)
if [ -x server/scripts/ensure-postgres.sh ]; then server/scripts/ensure-postgres.sh; fi
server/node_modules/.bin/tsc -p bench/loadgen/tsconfig.json
OUT="bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
.venv/bin/python bench/bench.py --size full --out "$OUT" ${LENS_BENCH_ONLY:+--only "$LENS_BENCH_ONLY"} "$@"
echo "report: $OUT/report.md"

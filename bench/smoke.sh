#!/usr/bin/env bash
# Tiny sizes of every scenario (make test): proves the bench scripts still work, measures nothing.
# Fails (non-zero) if any scenario breaks; writes one JUnit testcase per scenario to $JUNIT_OUT.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bench/setup_mlflow.sh
OUT="$(mktemp -d /tmp/lens-bench-smoke-XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
server/node_modules/.bin/tsc -p bench/loadgen/tsconfig.json
.venv/bin/python bench/bench.py --size smoke --out "$OUT" ${JUNIT_OUT:+--junit "$JUNIT_OUT"}

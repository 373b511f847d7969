#!/usr/bin/env bash
# Creates the MLflow peer's own venv once (idempotent): MLflow never shares a venv with ours.
# psycopg2-binary lets the same MLflow use PostgreSQL (--backend-store-uri postgresql://…).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${LENS_BENCH_MLFLOW_VENV:-$ROOT/.venvs/mlflow}"
VERSION="${LENS_BENCH_MLFLOW_VERSION:-3.17.2}"
PSYCOPG2="${LENS_BENCH_PSYCOPG2_VERSION:-2.9.13}"
PY="${LENS_BENCH_MLFLOW_PYTHON:-python3}"
if [ -x "$VENV/bin/mlflow" ] && "$VENV/bin/python" -c "import mlflow, psycopg2, sys; sys.exit(mlflow.__version__ != '$VERSION' or not psycopg2.__version__.startswith('$PSYCOPG2'))" 2>/dev/null; then
  exit 0
fi
echo "bench: installing mlflow==$VERSION and psycopg2-binary==$PSYCOPG2 into $VENV (about a minute)" >&2
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$VERSION" "psycopg2-binary==$PSYCOPG2"

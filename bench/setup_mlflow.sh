#!/usr/bin/env bash
# Creates the MLflow peer's own venv once (idempotent): MLflow never shares a venv with ours.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${LENS_BENCH_MLFLOW_VENV:-$ROOT/.venvs/mlflow}"
VERSION="${LENS_BENCH_MLFLOW_VERSION:-3.17.2}"
PY="${LENS_BENCH_MLFLOW_PYTHON:-python3}"
if [ -x "$VENV/bin/mlflow" ] && "$VENV/bin/python" -c "import mlflow, sys; sys.exit(mlflow.__version__ != '$VERSION')" 2>/dev/null; then
  exit 0
fi
echo "bench: installing mlflow==$VERSION into $VENV (about a minute)" >&2
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$VERSION"

#!/usr/bin/env bash
# Makes the throwaway virtual environments the exporter's integration tests run in, under
# <repo>/.venvs/ (git-ignored). Idempotent: a venv that already has its wandb is reused; the
# exporter wheel is rebuilt and reinstalled every time so the tests see the current code.
#
#   exporter/tests/setup_venvs.sh            # all venvs
#   exporter/tests/setup_venvs.sh w031-py311 # just one
#
# Venv names are <wandb version>-<python>; tests/integration/venvs.py lists them. A venv whose
# wandb does not install on this machine is reported and left out (the 0.31 one is required).
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENVS="$ROOT/.venvs"
PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
mkdir -p "$VENVS"

# name  python  wandb-spec  extra packages ("-": none). Python "system" is Debian's python3 with
# its site-packages visible, for Debian's CPU PyTorch (ensure_torch.sh installs it).
# `frameworks` holds the real training libraries the real-job tests start, each in its own
# process. Exact pins: a release of any of them may change how it reaches wandb, and a test
# that changes under us proves nothing. Its PyTorch is PyPI's (Debian's 1.13 cannot import
# torch.distributed.fsdp on Python 3.11, which Lightning needs), ~6 GB with its CUDA libraries
# although the tests run on CPU, so that venv lives in a cache outside the clone (below).
MATRIX="
w031-py311 3.11 wandb==0.31.0 numpy
w031-py313 3.13 wandb==0.31.0 numpy
w019-py312 3.12 wandb==0.19.11 numpy
w016-py38  3.8  wandb==0.16.6 numpy
w031-torch system wandb==0.31.0 -
frameworks 3.11 wandb==0.31.0 torch==2.15.0 transformers==5.24.0 accelerate==1.15.0 lightning==2.6.6
"
# Venvs too large to make again for every clone: kept under this folder, keyed by their spec,
# and linked into .venvs/. A second `make test`, in this clone or a fresh one, reuses them.
CACHE="${PRIMUS_LENS_TEST_CACHE:-$HOME/.cache/primus-lens-tests}"
CACHED_VENVS=" frameworks "

python_for() {
  local found
  found=$(ls -d "$PYENV_ROOT"/versions/"$1".*/bin/python 2>/dev/null | sort -V | tail -1)
  if [ -n "$found" ]; then echo "$found"; else command -v "python$1"; fi
}

WHEEL_DIR="$VENVS/.wheel"
rm -rf "$WHEEL_DIR" && mkdir -p "$WHEEL_DIR"
BUILD_PY="$(python_for 3.11)"
"$BUILD_PY" -m pip wheel --quiet --no-deps -w "$WHEEL_DIR" "$ROOT/exporter" || { echo "exporter wheel build failed" >&2; exit 1; }
WHEEL="$(ls "$WHEEL_DIR"/*.whl)"

status=0
echo "$MATRIX" | while read -r name py wandb_spec extra; do
  [ -z "$name" ] && continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  venv="$VENVS/$name"
  [ "$extra" = "-" ] && extra=""
  spec="$py $wandb_spec $extra"
  if [[ "$CACHED_VENVS" == *" $name "* ]]; then
    key=$(printf '%s' "$spec" | sha256sum | cut -c1-12)
    mkdir -p "$CACHE" && ln -sfn "$CACHE/$name-$key" "$venv"
    venv="$CACHE/$name-$key"
  fi
  # A venv is reused only when it was made from this very line.
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.primus-spec" 2>/dev/null)" != "$spec" ]; then rm -rf "$venv"; fi
  venv_flags=""
  if [ "$py" = "system" ]; then
    "$ROOT/exporter/tests/ensure_torch.sh" || { echo "[$name] Debian's python3-torch did not install: left out"; continue; }
    venv_flags="--system-site-packages"
  fi
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import wandb" >/dev/null 2>&1; then
    if [ "$py" = "system" ]; then interp=/usr/bin/python3; else interp="$(python_for "$py")"; fi
    if [ -z "$interp" ]; then echo "[$name] no python $py here: skipped"; continue; fi
    rm -rf "$venv"
    "$interp" -m venv $venv_flags "$venv" || { echo "[$name] venv failed"; continue; }
    "$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1
    if ! "$venv/bin/python" -m pip install --quiet "$wandb_spec" $extra; then
      echo "[$name] $wandb_spec did not install: left out"
      rm -rf "$venv"
      continue
    fi
    printf '%s' "$spec" > "$venv/.primus-spec"
  fi
  # --force-reinstall: same version number, new code.
  "$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$WHEEL" || { echo "[$name] exporter install failed"; continue; }
  echo "[$name] ready: $("$venv/bin/python" -c 'import sys, wandb; print("python", sys.version.split()[0], "wandb", wandb.__version__)' 2>/dev/null)"
done
for required in w031-py311 w031-torch frameworks; do
  test -x "$VENVS/$required/bin/python" || { echo "required venv $required is missing" >&2; exit 1; }
done

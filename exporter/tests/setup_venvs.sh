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
MATRIX="
w031-py311 3.11 wandb==0.31.0 numpy
w031-py313 3.13 wandb==0.31.0 numpy
w019-py312 3.12 wandb==0.19.11 numpy
w016-py38  3.8  wandb==0.16.6 numpy
w031-torch system wandb==0.31.0 -
"

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
  fi
  # --force-reinstall: same version number, new code.
  "$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$WHEEL" || { echo "[$name] exporter install failed"; continue; }
  echo "[$name] ready: $("$venv/bin/python" -c 'import sys, wandb; print("python", sys.version.split()[0], "wandb", wandb.__version__)' 2>/dev/null)"
done
for required in w031-py311 w031-torch; do
  test -x "$VENVS/$required/bin/python" || { echo "required venv $required is missing" >&2; exit 1; }
done

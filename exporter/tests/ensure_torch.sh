#!/bin/sh
# Install Debian's CPU build of PyTorch (python3-torch) for the real-tensor test when missing.
# PyPI's torch wheels pull gigabytes of CUDA libraries; Debian's package is ~150 MB and needs
# no GPU. The test's venv sees it through --system-site-packages (setup_venvs.sh, w031-torch).
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  exit 0
fi
"$ROOT/scripts/apt-install.sh" ensure-torch python3-torch
/usr/bin/python3 -c "import torch; print('ensure-torch: torch', torch.__version__)" >&2

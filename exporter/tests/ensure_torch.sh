#!/bin/sh
# Install Debian's CPU build of PyTorch (python3-torch) for the real-tensor test when missing.
# PyPI's torch wheels pull gigabytes of CUDA libraries; Debian's package is ~150 MB and needs
# no GPU. The test's venv sees it through --system-site-packages (setup_venvs.sh, w031-torch).
set -eu

if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-torch: Debian's python3-torch is missing and apt-get is not available" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "ensure-torch: installing Debian's python3-torch with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
/usr/bin/python3 -c "import torch; print('ensure-torch: torch', torch.__version__)" >&2

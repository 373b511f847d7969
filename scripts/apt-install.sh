#!/bin/sh
# Installs Debian packages with apt-get for a test set-up step (as root, or through sudo).
#   scripts/apt-install.sh WHO PACKAGE...
# WHO prefixes every line this prints. CI images and clusters are often offline except for the
# distribution mirror, which is why test dependencies come from Debian and not from a CDN.
set -eu
who="$1"
shift
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: apt-get is not available; install $* by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "$who: installing Debian's $* with apt-get" >&2
# Another set-up step (or the system) may hold dpkg's lock for a while: wait for it, bounded.
LOCK_WAIT="-o DPkg::Lock::Timeout=600"
$SUDO apt-get $LOCK_WAIT update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get $LOCK_WAIT install -y -qq --no-install-recommends "$@" >/dev/null

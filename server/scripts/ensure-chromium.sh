#!/bin/sh
# Install Debian's chromium for the dashboard browser test when it is missing.
# The test drives /usr/bin/chromium through playwright-core, so no browser download from a
# CDN is needed.
set -eu

CHROMIUM=/usr/bin/chromium
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
"$ROOT/scripts/apt-install.sh" ensure-chromium chromium fonts-dejavu-core
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
"$CHROMIUM" --version >&2 || true

#!/bin/sh
# Install Debian's prometheus package for its promtool when promtool is missing: the alert rules
# in deploy/prometheus are checked with the real `promtool check rules` and `promtool test rules`.
# The package also ships the Prometheus server; nothing here starts it.
set -eu

ROOT="$(cd "$(dirname "$0")/.." && pwd)"

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
"$ROOT/scripts/apt-install.sh" ensure-promtool prometheus
if ! command -v promtool >/dev/null 2>&1; then
  echo "ensure-promtool: apt-get finished but promtool is still missing" >&2
  exit 1
fi
promtool --version >&2 || true

#!/bin/sh
# Install Debian's postgresql-15 for the PostgreSQL tests when initdb is missing. The tests
# make their own throw-away clusters (scripts/pg-cluster.mjs), so the package's own cluster
# is neither needed nor started.
set -eu

BIN=/usr/lib/postgresql/15/bin
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

if [ -x "$BIN/initdb" ]; then
  exit 0
fi
"$ROOT/scripts/apt-install.sh" ensure-postgres postgresql-15
if [ ! -x "$BIN/initdb" ]; then
  echo "ensure-postgres: apt-get finished but $BIN/initdb is still missing" >&2
  exit 1
fi
"$BIN/initdb" --version >&2 || true

#!/bin/sh
# Installs the Node.js release the project runs on (the version in .node-version, an LTS) into
# .tools/node-<version>/, so that the build, the tests, `make serve` and the container image all
# use one version whatever Node the machine has. The binary comes from the npm registry's
# node-linux-<arch> package (Node itself with its headers in include/node/, which node-gyp can use
# through npm_config_nodedir), so any Node with npm bootstraps it; nothing else is downloaded.
#   scripts/ensure-node.sh          prints the folder whose bin/ holds node
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION="$(tr -d ' \n' < "$ROOT/.node-version")"
DEST="$ROOT/.tools/node-$VERSION"
STAMP="$DEST/.installed"

if [ -f "$STAMP" ] && [ "$("$DEST/bin/node" --version 2>/dev/null)" = "v$VERSION" ]; then
  echo "$DEST"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "ensure-node: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-node: npm is needed once to fetch Node $VERSION (any Node with npm will do)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "ensure-node: fetching Node $VERSION (node-linux-$arch) into .tools/" >&2
(cd "$tmp" && npm pack --silent "node-linux-$arch@$VERSION" >/dev/null)
tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp"
got="$("$tmp/package/bin/node" --version)"
if [ "$got" != "v$VERSION" ]; then
  echo "ensure-node: the package holds $got, not v$VERSION" >&2
  exit 1
fi
rm -rf "$DEST"
mkdir -p "$ROOT/.tools"
mv "$tmp/package" "$DEST"
touch "$STAMP"
echo "$DEST"

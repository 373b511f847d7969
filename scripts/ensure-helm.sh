#!/usr/bin/env bash
# Builds the helm CLI from its Go module into .tools/bin/helm (git-ignored), once.
#   scripts/ensure-helm.sh          prints the path of a working helm, building it if needed
#   HELM_VERSION=v3.x.y scripts/ensure-helm.sh   another version (rebuilds when it differs)
#
# tests/manifests runs `helm lint` and `helm template` on deploy/helm/primus-lens with it. Go is
# the only requirement: the module comes through GOPROXY like any other Go dependency, so no
# download site outside the Go toolchain's is needed. A second run finds the binary and its
# version stamp and builds nothing. Any failure exits non-zero, so the manifests suite that
# depends on it fails rather than skips.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.tools/bin"
HELM="$BIN/helm"
STAMP="$BIN/helm.version"

if [ -x "$HELM" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HELM_VERSION" ] \
    && "$HELM" version --short >/dev/null 2>&1; then
  echo "ensure-helm: $("$HELM" version --short) already at $HELM"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-helm: go is not installed; helm $HELM_VERSION is built from its Go module" >&2
  exit 1
fi

mkdir -p "$BIN"
rm -f "$STAMP"
start=$(date +%s)
echo "ensure-helm: building helm $HELM_VERSION with $(go version | cut -d' ' -f3) into $BIN" >&2
# -mod=mod: resolve the module graph from helm's go.mod, whatever vendor folder or go.work the
# surroundings have.
export GOFLAGS="-mod=mod -buildvcs=false"
export GOBIN="$BIN"
# Fetch the module first: its go.mod says which k8s.io/client-go it builds against.
if ! info="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION")"; then
  echo "ensure-helm: cannot fetch helm.sh/helm/v3@$HELM_VERSION through the Go module proxy:" >&2
  printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/  \1/p' >&2
  exit 1
fi
gomod="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
# helm's own Makefile stamps its version and the Kubernetes version of those client libraries
# (client-go v0.M.N is Kubernetes 1.M) into the binary; without them `helm version` says
# "v3.22" and `helm template` assumes Kubernetes 1.20 for .Capabilities.
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
minor="$(sed -n 's#^[[:space:]]*k8s.io/client-go v0\.\([0-9][0-9]*\)\..*#\1#p' "$gomod" | head -n1)"
if [ -n "$minor" ]; then
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
  done
fi
go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"

"$HELM" version --short >/dev/null
echo "$HELM_VERSION" > "$STAMP"
echo "ensure-helm: built $("$HELM" version --short) in $(( $(date +%s) - start ))s at $HELM"

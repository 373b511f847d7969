#!/usr/bin/env bash
# Builds the Go tools tests/manifests uses into .tools/bin (git-ignored), once:
#   helm        the helm CLI, from its Go module (HELM_VERSION, default below)
#   kubestrict  tests/manifests/kubestrict: decodes manifests into the Kubernetes API's Go
#               types and refuses unknown fields, wrong types and unknown kinds
#
#   scripts/ensure-helm.sh                       build what is missing or out of date
#   HELM_VERSION=v3.x.y scripts/ensure-helm.sh   another helm (rebuilds when it differs)
#
# Go is the only requirement: modules come through GOPROXY like any other Go dependency, so no
# download site outside the Go toolchain's is needed. A second run finds both binaries and their
# stamps and builds nothing. Any failure exits non-zero, so the manifests suite that depends on
# them fails rather than skips.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.tools/bin"
HELM="$BIN/helm"
HELM_STAMP="$BIN/helm.version"
STRICT_SRC="$ROOT/tests/manifests/kubestrict"
STRICT="$BIN/kubestrict"
STRICT_STAMP="$BIN/kubestrict.sources"

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "ensure-helm: go is not installed; $1 is built from Go modules" >&2
    exit 1
  fi
  mkdir -p "$BIN"
  # -mod=mod: resolve the module graph from go.mod, whatever vendor folder or go.work the
  # surroundings have.
  export GOFLAGS="-mod=mod -buildvcs=false"
}

build_helm() {
  need_go "helm $HELM_VERSION"
  rm -f "$HELM_STAMP"
  local start info gomod ldflags minor pkg
  start=$(date +%s)
  echo "ensure-helm: building helm $HELM_VERSION with $(go version | cut -d' ' -f3) into $BIN" >&2
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
  GOBIN="$BIN" go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  "$HELM" version --short >/dev/null
  echo "$HELM_VERSION" > "$HELM_STAMP"
  echo "ensure-helm: built $("$HELM" version --short) in $(( $(date +%s) - start ))s at $HELM"
}

strict_sources() {
  (cd "$STRICT_SRC" && cat go.mod go.sum ./*.go) | sha256sum | cut -d' ' -f1
}

build_kubestrict() {
  need_go kubestrict
  rm -f "$STRICT_STAMP"
  local start
  start=$(date +%s)
  echo "ensure-helm: building kubestrict from tests/manifests/kubestrict into $BIN" >&2
  (cd "$STRICT_SRC" && go build -trimpath -ldflags "-s -w" -o "$STRICT" .)
  strict_sources > "$STRICT_STAMP"
  echo "ensure-helm: built kubestrict in $(( $(date +%s) - start ))s at $STRICT"
}

if [ -x "$HELM" ] && [ -f "$HELM_STAMP" ] && [ "$(cat "$HELM_STAMP")" = "$HELM_VERSION" ] \
    && "$HELM" version --short >/dev/null 2>&1; then
  echo "ensure-helm: $("$HELM" version --short) already at $HELM"
else
  build_helm
fi

if [ -x "$STRICT" ] && [ -f "$STRICT_STAMP" ] && [ "$(cat "$STRICT_STAMP")" = "$(strict_sources)" ]; then
  echo "ensure-helm: kubestrict already at $STRICT"
else
  build_kubestrict
fi

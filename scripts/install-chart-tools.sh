#!/usr/bin/env bash
# Installs the pinned helm and kubeconform that the chart tests (make test-chart) run, built from their Go
# modules with `go install` into ~/.cache/kamld/bin (override with KAMLD_CACHE), outside the checkout. A stamp
# next to each binary records its pinned version; a build is skipped when the stamp matches and the binary runs.
# Every module is checked against the checksum database (sum.golang.org) by the Go toolchain.
set -euo pipefail

HELM_VERSION="${KAMLD_HELM_VERSION:-v3.22.1}"
KUBECONFORM_VERSION="${KAMLD_KUBECONFORM_VERSION:-v0.8.0}"
CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
BIN_DIR="$CACHE/bin"

# install NAME PACKAGE VERSION VERSION_ARGS...
install() {
  local name=$1 pkg=$2 version=$3
  shift 3
  if [ -x "$BIN_DIR/$name" ] && [ "$(cat "$BIN_DIR/$name.version" 2>/dev/null)" = "$version" ] &&
    "$BIN_DIR/$name" "$@" >/dev/null 2>&1; then
    return
  fi
  rm -f "$BIN_DIR/$name.version"
  echo "install-chart-tools: building $name $version into $BIN_DIR" >&2
  CGO_ENABLED=0 GOBIN="$BIN_DIR" GOFLAGS=-trimpath go install -ldflags "-s -w $LDX" "$pkg@$version"
  "$BIN_DIR/$name" "$@" # verify it runs before recording it as installed
  echo "$version" >"$BIN_DIR/$name.version"
}

mkdir -p "$BIN_DIR"
# helm's release build stamps its version and the Kubernetes version it assumes (that of its client-go,
# k8s.io/client-go v0.37 is Kubernetes 1.37); without them it says v3.x-dev and renders for Kubernetes 1.20.
H=helm.sh/helm/v3
LDX="-X $H/internal/version.version=$HELM_VERSION"
for pkg in pkg/lint/rules pkg/chartutil; do
  LDX="$LDX -X $H/$pkg.k8sVersionMajor=1 -X $H/$pkg.k8sVersionMinor=37"
done
LDX="$LDX" install helm "$H/cmd/helm" "$HELM_VERSION" version --short
LDX="-X main.version=$KUBECONFORM_VERSION" install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" -v

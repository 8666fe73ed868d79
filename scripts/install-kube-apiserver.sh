#!/usr/bin/env bash
# Installs the pinned kube-apiserver and etcd that the Kubernetes compute backend's integration tests run
# against (sidecar/internal/compute/kubernetes, via sidecar/internal/testserver/kube). No kubelet, scheduler or
# controller manager: the tests play the controllers' part by writing Job and Pod status through the API.
#
# Both are built from source with the Go toolchain into ~/.cache/kamld/bin (override with KAMLD_CACHE), outside
# the checkout, so a second run costs nothing. A stamp file next to each binary records its pinned version; a
# build is skipped when the stamp matches and the binary runs.
#
# Why a throwaway wrapper module: k8s.io/kubernetes and go.etcd.io/etcd/server/v3 both point their sibling
# modules at local directories with `replace` lines (./staging/src/k8s.io/…, ../api), which are not part of
# their module zips, so `go install pkg@version` refuses them. The wrapper requires the module and replaces each
# of those siblings by its published version (k8s.io/api v0.37.2 for Kubernetes v1.37.2, etcd's at the same
# v3.x.y), which are the same sources.
# Verification: every module downloaded is checked against the checksum database (GOSUMDB, sum.golang.org)
# by the Go toolchain, so the build uses exactly the published, pinned sources.
# Cold build on 2 cores: etcd 90 s; kube-apiserver 7.5 min of CPU, 21 min wall clock on a machine shared with
# other builds (load ~18). Each binary is verified by running it (--version) before its stamp is written.
set -euo pipefail

KUBE_VERSION="${KAMLD_KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${KAMLD_ETCD_VERSION:-v3.7.3}"
CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
BIN_DIR="$CACHE/bin"

# installed NAME VERSION: the binary is there, its stamp matches and it runs.
installed() {
  [ -x "$BIN_DIR/$1" ] && [ "$(cat "$BIN_DIR/$1.version" 2>/dev/null)" = "$2" ] && "$BIN_DIR/$1" --version >/dev/null 2>&1
}

# wrapper DIR MODULE VERSION REPLACES: a module in DIR that requires MODULE@VERSION with the given replace lines.
wrapper() {
  cat >"$1/go.mod" <<EOF
module kamld.local/build

go 1.26.0

require $2 $3

replace (
$4
)
EOF
}

build_kube_apiserver() {
  local minor="${KUBE_VERSION#v1.}" work gomod replaces
  minor="${minor%%.*}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  # k8s.io/kubernetes's own go.mod lists the staging modules it replaces; map each to v0.<minor>.<patch>.
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  replaces=$(sed -n '/^replace (/,/^)/p' "$gomod" | awk -v v="v0${KUBE_VERSION#v1}" \
    '/=> \.\/staging/ && $1 !~ /sample-/ {printf "\t%s => %s %s\n", $1, $1, v}')
  wrapper "$work" k8s.io/kubernetes "$KUBE_VERSION" "$replaces"
  echo 'godebug default=go1.26' >>"$work/go.mod" # as k8s.io/kubernetes's own main module sets it
  (
    cd "$work"
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION"
    # The version baked in is what /version reports and what the compatibility-version checks start from.
    local pkg=k8s.io/component-base/version
    CGO_ENABLED=0 go build -trimpath -o "$BIN_DIR/kube-apiserver" \
      -ldflags "-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
      k8s.io/kubernetes/cmd/kube-apiserver
  )
}

build_etcd() {
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  wrapper "$work" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$(printf '\t%s => %s %s\n' \
    go.etcd.io/etcd/api/v3 go.etcd.io/etcd/api/v3 "$ETCD_VERSION" \
    go.etcd.io/etcd/client/pkg/v3 go.etcd.io/etcd/client/pkg/v3 "$ETCD_VERSION" \
    go.etcd.io/etcd/client/v3 go.etcd.io/etcd/client/v3 "$ETCD_VERSION" \
    go.etcd.io/etcd/pkg/v3 go.etcd.io/etcd/pkg/v3 "$ETCD_VERSION")"
  (
    cd "$work"
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -o "$BIN_DIR/etcd" -ldflags "-s -w" go.etcd.io/etcd/server/v3
  )
}

mkdir -p "$BIN_DIR"
for name in etcd kube-apiserver; do
  version=$ETCD_VERSION
  [ "$name" = kube-apiserver ] && version=$KUBE_VERSION
  installed "$name" "$version" && continue
  rm -f "$BIN_DIR/$name.version"
  echo "install-kube-apiserver: building $name $version into $BIN_DIR (takes a few minutes)" >&2
  start=$(date +%s)
  "build_${name//-/_}"
  echo "install-kube-apiserver: built $name in $(($(date +%s) - start))s" >&2
  # Verify that what we built runs before recording it as installed.
  "$BIN_DIR/$name" --version
  echo "$version" >"$BIN_DIR/$name.version"
done

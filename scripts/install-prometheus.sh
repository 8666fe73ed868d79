#!/usr/bin/env bash
# Installs the pinned Prometheus server and promtool that kamld's monitoring tests use: the Prometheus test scrapes
# a real kamld (sidecar/internal/testserver/prometheus), and `promtool check rules` / `promtool test rules` check
# the chart's alerting rules (make test-rules).
#
# Both are built from source with `go install` into ~/.cache/kamld/bin (override with KAMLD_CACHE). Prometheus
# 3.x is published to the Go module proxy as v0.3xx.y (its module path has no /v3). A stamp records the version;
# the build is skipped when it matches and the binaries run. The web UI's assets are not embedded (no
# builtinassets tag): the tests use the HTTP API only. Cold build: several minutes on 2 cores.
set -euo pipefail

PROMETHEUS_VERSION="${KAMLD_PROMETHEUS_VERSION:-v0.316.0}"
CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
BIN_DIR="$CACHE/bin"
STAMP="$BIN_DIR/prometheus.version"

if [ -x "$BIN_DIR/prometheus" ] && [ -x "$BIN_DIR/promtool" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$PROMETHEUS_VERSION" ] \
  && "$BIN_DIR/promtool" --version >/dev/null 2>&1; then
  exit 0
fi

mkdir -p "$BIN_DIR"
rm -f "$STAMP"
echo "install-prometheus: building prometheus and promtool $PROMETHEUS_VERSION into $BIN_DIR (takes a few minutes)" >&2
start=$(date +%s)
CGO_ENABLED=0 GOBIN="$BIN_DIR" go install -trimpath \
  "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
echo "install-prometheus: built in $(( $(date +%s) - start ))s" >&2
"$BIN_DIR/promtool" --version
echo "$PROMETHEUS_VERSION" > "$STAMP"

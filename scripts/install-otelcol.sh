#!/usr/bin/env bash
# Installs the OpenTelemetry Collector that kamld's trace tests send spans to (sidecar/internal/testserver/otelcol):
# a minimal distribution, tools/otelcol (the OTLP receiver and the file exporter only, collector v0.165.0, pinned
# by tools/otelcol/go.sum), built with `go install` into ~/.cache/kamld/bin/kamld-otelcol (override the cache with
# KAMLD_CACHE). A stamp next to the binary records the hash of the module files; the build is skipped when it
# matches and the binary runs. Why not Jaeger or otelcol-contrib: both link hundreds of modules, while this
# builds in a few minutes on 2 cores and the file exporter's JSON is all the tests read.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/kamld-otelcol"
STAMP="$BIN_DIR/kamld-otelcol.version"
VERSION="$(cat "$ROOT/tools/otelcol/go.mod" "$ROOT/tools/otelcol/go.sum" "$ROOT/tools/otelcol/main.go" | sha256sum | cut -c1-16)"

if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ] && "$BIN" --version >/dev/null 2>&1; then
  exit 0
fi

mkdir -p "$BIN_DIR"
rm -f "$STAMP"
echo "install-otelcol: building tools/otelcol into $BIN (a few minutes on first run)" >&2
start=$(date +%s)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$ROOT/tools/otelcol" && CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath .)
mv "$tmp/otelcol" "$BIN"
echo "install-otelcol: built in $(( $(date +%s) - start ))s" >&2
"$BIN" --version
echo "$VERSION" > "$STAMP"

#!/usr/bin/env bash
# Installs the pinned MinIO server that the blob store's integration tests run against
# (sidecar/internal/blob/s3, via sidecar/internal/testserver/minio).
#
# MinIO is built from source with `go install` into ~/.cache/kamld/bin (override with KAMLD_CACHE), outside the
# checkout, so a second run costs nothing. A stamp file next to the binary records the pinned version; the
# build is skipped when the stamp matches and the binary runs.
#
# Why a pseudo-version: MinIO's release tags (RELEASE.2025-…Z) are not semantic versions, so the Go module
# proxy serves MinIO only as pseudo-versions of commits; the proxy reachable here serves exactly this one.
# It is the last commit of the minio/minio repository (2026-02-12) and builds with Go 1.26.
# Cold build: several minutes on 2 cores.
set -euo pipefail

MINIO_VERSION="${KAMLD_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/minio"
STAMP="$BIN_DIR/minio.version"

if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$MINIO_VERSION" ] && "$BIN" --version >/dev/null 2>&1; then
  exit 0
fi

mkdir -p "$BIN_DIR"
rm -f "$STAMP"
echo "install-minio: building github.com/minio/minio@$MINIO_VERSION into $BIN_DIR (takes a few minutes)" >&2
start=$(date +%s)
# CGO off: a static binary that does not depend on the machine's libc; -trimpath keeps build paths out of it.
CGO_ENABLED=0 GOBIN="$BIN_DIR" go install -trimpath "github.com/minio/minio@$MINIO_VERSION"
echo "install-minio: built in $(( $(date +%s) - start ))s" >&2

# Verify that what we built runs before recording it as installed.
"$BIN" --version
echo "$MINIO_VERSION" > "$STAMP"

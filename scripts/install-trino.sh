#!/usr/bin/env bash
# Installs the pinned Trino server that the Trino query backend's integration tests run against
# (sidecar/internal/query/trino, via sidecar/internal/testserver/trino).
#
# The server tarball comes from Maven Central (io.trino:trino-server), is verified against a pinned SHA-1 (the
# digest Maven Central publishes beside it, checked here too), and unpacked into ~/.cache/kamld/trino-server-<v>
# (override the cache with KAMLD_CACHE), outside the checkout. A stamp file records the version once the
# install is complete, so a second run costs nothing.
#
# The tarball (~820 MB) ships ~60 connector plugins; the tests need only the Hive connector, so every other
# plugin is deleted after extraction: less disk (~3 GB → well under 1 GB) and a faster start, since Trino loads
# every plugin directory at boot. The tarball itself is deleted after a verified extraction.
#
# Trino 476 needs Java 24 or newer: the tests run it with $KAMLD_TRINO_JAVA_HOME, by default the Temurin 25 JDK
# of the machine image (/usr/lib/jvm/temurin-25-jdk-amd64). Cold install: downloading ~820 MB plus extraction.
set -euo pipefail

TRINO_VERSION="${KAMLD_TRINO_VERSION:-476}"
# SHA-1 of trino-server-476.tar.gz as published on Maven Central (trino-server-476.tar.gz.sha1).
TRINO_SHA1="${KAMLD_TRINO_SHA1:-c9b38be4017ebd2f7095455aaac772fb40247ebe}"
# Plugins kept after extraction. The Hive connector reads the datasets' files in place on S3/MinIO.
KEEP_PLUGINS="hive"

CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
DEST="$CACHE/trino-server-$TRINO_VERSION"
STAMP="$DEST/kamld.installed"
BASE="https://repo1.maven.org/maven2/io/trino/trino-server/$TRINO_VERSION"
TARBALL="trino-server-$TRINO_VERSION.tar.gz"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$TRINO_VERSION $TRINO_SHA1" ] && [ -x "$DEST/bin/launcher" ]; then
  exit 0
fi

start=$(date +%s)
mkdir -p "$CACHE"
work="$(mktemp -d "$CACHE/trino-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "install-trino: downloading $TARBALL from Maven Central (~820 MB)" >&2
curl -fsSL --retry 3 -o "$work/$TARBALL" "$BASE/$TARBALL"
published="$(curl -fsSL --retry 3 "$BASE/$TARBALL.sha1" | awk '{print $1}')"
if [ "$published" != "$TRINO_SHA1" ]; then
  echo "install-trino: Maven Central publishes SHA-1 $published for $TARBALL, expected the pinned $TRINO_SHA1" >&2
  exit 1
fi
echo "$TRINO_SHA1  $work/$TARBALL" | sha1sum -c --quiet -
echo "install-trino: downloaded and verified in $(( $(date +%s) - start ))s" >&2

tar -xzf "$work/$TARBALL" -C "$work"
rm -f "$work/$TARBALL"
src="$work/trino-server-$TRINO_VERSION"
for p in "$src"/plugin/*; do
  case " $KEEP_PLUGINS " in
    *" $(basename "$p") "*) ;;
    *) rm -rf "$p" ;;
  esac
done

rm -rf "$DEST"
mv "$src" "$DEST"
echo "$TRINO_VERSION $TRINO_SHA1" > "$STAMP"
echo "install-trino: installed Trino $TRINO_VERSION into $DEST in $(( $(date +%s) - start ))s ($(du -sh "$DEST" | cut -f1))" >&2

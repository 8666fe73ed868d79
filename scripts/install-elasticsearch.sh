#!/usr/bin/env bash
# Installs the pinned Elasticsearch 8 that the search index's integration tests run against
# (sidecar/internal/index/elastic, via sidecar/internal/testserver/elasticsearch).
#
# What: Elasticsearch's integration-test distribution from Maven Central
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch). It is the server without the default
# distribution's bundled JDK and x-pack modules (no security, no ML), so it is small, needs no password and
# runs on the machine's own JDK. Elasticsearch 8.19 supports Java 17 and 21; the tests use OpenJDK 17
# (Debian's openjdk-17-jre-headless), found by the test harness.
#
# Where: ~/.cache/kamld/elasticsearch-<version>/ (override the cache with KAMLD_CACHE), outside the checkout, so
# a second run costs nothing. The download is checked against a sha512 pinned here (the one Maven Central
# publishes beside the zip) before it is unpacked; a stamp file records a complete install.
# Cold install: one ~102 MiB download and an unzip, about 10-20 s here.
set -euo pipefail

ES_VERSION="8.19.21"
ES_SHA512="cf6b0a93860d329937ae7f913ec5073b0c726c77639764b93fc83a304aa1dd9d4defcfa2849948eea3b0b47c2065f994908603939fc2a4774c9c4d868c5ec1dd"
MAVEN="${KAMLD_MAVEN_REPO:-https://repo1.maven.org/maven2}"
URL="$MAVEN/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"

CACHE="${KAMLD_CACHE:-$HOME/.cache/kamld}"
HOME_DIR="$CACHE/elasticsearch-$ES_VERSION"
STAMP="$HOME_DIR/.kamld-installed"

if [ -f "$STAMP" ] && [ -x "$HOME_DIR/bin/elasticsearch" ]; then
  exit 0
fi

for tool in curl sha512sum unzip; do
  command -v "$tool" >/dev/null || { echo "install-elasticsearch: $tool is required" >&2; exit 1; }
done

mkdir -p "$CACHE"
tmp="$(mktemp -d "$CACHE/.elasticsearch-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "install-elasticsearch: downloading Elasticsearch $ES_VERSION (integ-test-zip) from $MAVEN" >&2
start=$(date +%s)
curl -fsSL --retry 3 -o "$tmp/es.zip" "$URL"
echo "$ES_SHA512  $tmp/es.zip" | sha512sum -c --quiet - || {
  echo "install-elasticsearch: checksum mismatch for $URL" >&2
  exit 1
}
unzip -q "$tmp/es.zip" -d "$tmp/unpacked"
rm -rf "$HOME_DIR"
# The zip holds one top-level folder, elasticsearch-<version>/; move it into place in one rename.
mv "$tmp/unpacked/elasticsearch-$ES_VERSION" "$HOME_DIR"
chmod +x "$HOME_DIR"/bin/*
touch "$STAMP"
echo "install-elasticsearch: installed into $HOME_DIR in $(( $(date +%s) - start ))s" >&2

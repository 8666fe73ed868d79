#!/usr/bin/env bash
# check-static.sh BINARY — fail unless BINARY is a Go binary built with CGO_ENABLED=0 that links no shared
# library (no ELF interpreter, nothing for ldd to list). The in-pod job helper (bin/kamld-job-helper) is
# copied into arbitrary images, so it must not depend on the libc of the image it was built for.
set -euo pipefail
bin=${1:?usage: check-static.sh BINARY}
[[ -x $bin ]] || { echo "check-static: $bin: no such executable" >&2; exit 1; }

if ! go version -m "$bin" | grep -qE '^[[:space:]]+build[[:space:]]+CGO_ENABLED=0$'; then
	echo "check-static: $bin was not built with CGO_ENABLED=0:" >&2
	go version -m "$bin" | grep -E 'CGO_ENABLED' >&2 || true
	exit 1
fi
# ldd exits non-zero on a static executable ("not a dynamic executable"); a dynamic one lists its libraries.
if libs=$(ldd "$bin" 2>&1); then
	echo "check-static: $bin is dynamically linked:" >&2
	echo "$libs" >&2
	exit 1
fi
if [[ $libs != *"not a dynamic executable"* && $libs != *"statically linked"* ]]; then
	echo "check-static: cannot tell whether $bin is static: $libs" >&2
	exit 1
fi
echo "check-static: $bin is static (CGO_ENABLED=0, no shared libraries)"

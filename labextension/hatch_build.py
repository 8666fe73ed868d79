"""Hatch build hook: a wheel holding the kamld binary is a platform wheel.

`make dist` puts the stripped binary at kamld/bin/kamld before building; this hook tags such a wheel for
the machine (linux_<arch>; auditwheel then gives it its manylinux tag). Built from an sdist with no binary,
the hook compiles it from the Go sources the sdist carries (go-src/), which needs Go; an editable install
skips it and the server extension finds kamld on PATH or via KAMLD_BINARY.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

GO_NEEDED = (
    "building kamld from source needs Go 1.26 or newer on PATH (https://go.dev/dl/) and a C/C++ compiler "
    "(DuckDB is linked in); or install a platform wheel (pip install kamld on Linux x86_64), "
    "which needs neither"
)


class KamldBinaryHook(BuildHookInterface):
    PLUGIN_NAME = "kamld-binary"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        binary = root / "kamld" / "bin" / "kamld"
        if not binary.is_file():
            self._build_from_source(root, binary)
        build_data["pure_python"] = False
        # KAMLD_WHEEL_ARCH names the binary's architecture when it was cross-compiled (make dist-arm64).
        arch = os.environ.get("KAMLD_WHEEL_ARCH") or platform.machine()
        build_data["tag"] = f"py3-none-linux_{arch}"

    def _build_from_source(self, root: Path, binary: Path) -> None:
        src = root / "go-src" if (root / "go-src" / "go.mod").is_file() else root.parent
        if not (src / "go.mod").is_file():
            raise RuntimeError(f"no kamld binary at {binary} and no Go sources to build it from")
        go = shutil.which("go")
        if go is None:
            raise RuntimeError(GO_NEEDED)
        binary.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CGO_ENABLED": "1"}
        cmd = [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary), "./sidecar/cmd/kamld"]
        self.app.display_info(f"kamld: building the sidecar from {src} with {go}")
        try:
            subprocess.run(cmd, cwd=src, env=env, check=True)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"go build of kamld failed ({exc.returncode}); {GO_NEEDED}") from exc

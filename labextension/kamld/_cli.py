"""The `kamld` console command of the wheel: runs the kamld binary bundled in this package."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "bin" / "kamld"


def main() -> None:
    """Replace this process with the bundled binary, passing the arguments and exit status through."""
    if not os.access(BUNDLED, os.X_OK):
        sys.exit(
            f"kamld: no bundled binary at {BUNDLED}: this install is not from a platform wheel "
            "(build one with `make dist`, or install the sidecar from source: it needs Go)"
        )
    os.execv(BUNDLED, [str(BUNDLED), *sys.argv[1:]])  # noqa: S606 - the bundled binary, with the user's args

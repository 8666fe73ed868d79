"""The acting identity the sidecar sees: who the X-Kamld-User header names, and how it is written.

gRPC metadata (which grpc-gateway turns the header into) only carries printable ASCII; a non-ASCII value
is dropped by the gateway, and the call would then run as the sidecar's default identity. So the name is
sent as UTF-8, percent-encoded outside printable ASCII (and `%` itself, so decoding is unambiguous):
"alice" stays "alice", "zoë" becomes "zo%C3%AB".
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from urllib.parse import quote

USER_HEADER = "X-Kamld-User"

# Printable ASCII except "%": everything that passes through unencoded.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


def default_user(environ: Mapping[str, str] | None = None) -> str:
    """The acting identity in a kernel: the JupyterHub user when there is one, else the OS user."""
    env = os.environ if environ is None else environ
    return env.get("JUPYTERHUB_USER", "").strip() or getpass.getuser()


def user_header_value(name: str) -> str:
    """The X-Kamld-User value for `name` (see the module docstring)."""
    return quote(name, safe=_SAFE)

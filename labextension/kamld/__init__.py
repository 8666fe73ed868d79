"""kamld for Jupyter: the Python client (`kamld.Client`), IPython magics and the server extension hooks.

Nothing here imports jupyter_server: kernels import this package, and only the Jupyter server loads
`kamld.server` (named as a string below, imported when the server loads the extension).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .client import Client
from .errors import KamldError

__all__ = ["Client", "KamldError", "__version__", "load_ipython_extension"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt labextension lives in this package (used by `jupyter labextension develop`)."""
    return [{"src": "labextension", "dest": "kamld"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server extension module; a string so that importing kamld never imports jupyter_server."""
    return [{"module": "kamld.server"}]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext kamld` registers the `%kamld` line magic."""
    # IPython is imported only here: kamld itself must import fine where IPython is absent.
    from .magics import KamldMagics

    ipython.register_magics(KamldMagics)

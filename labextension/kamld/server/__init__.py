"""The kamld Jupyter server extension: starts (or finds) the sidecar and proxies to it.

Loaded by jupyter_server through `kamld._jupyter_server_extension_points()`; enabled by
jupyter-config/server-config/kamld.json, which the wheel installs into etc/jupyter/jupyter_server_config.d.
"""

from __future__ import annotations

import atexit
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .config import Kamld
from .drive_upload import setup_drive_upload
from .handlers import setup_handlers
from .sidecar import ManagedSidecar, Sidecar, make_sidecar
from .workspace_upload import setup_workspace_upload

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

__all__ = ["Kamld", "Sidecar", "_jupyter_server_extension_points", "_load_jupyter_server_extension"]

SETTINGS_KEY = "kamld"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "kamld.server"}]


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    config = Kamld(parent=serverapp)
    config.apply_env()
    sidecar = make_sidecar(config, serverapp.log)
    if isinstance(sidecar, ManagedSidecar):
        sidecar.workspace = str(getattr(serverapp, "root_dir", "") or "")
    serverapp.web_app.settings[SETTINGS_KEY] = sidecar
    setup_handlers(serverapp.web_app, sidecar)
    setup_workspace_upload(serverapp.web_app, sidecar)
    uploads = setup_drive_upload(serverapp.web_app, sidecar)
    atexit.register(uploads.remove_all)
    _stop_with_server(serverapp, sidecar)
    # The loop is not running yet when a real server loads extensions; start once it is. (The
    # _start_jupyter_server_extension hook would do too, but test harnesses never call it.)
    serverapp.io_loop.add_callback(sidecar.start)
    serverapp.log.info("kamld | server extension loaded (%s mode)", sidecar.mode)


def _stop_with_server(serverapp: ServerApp, sidecar: Sidecar) -> None:
    """Stop the sidecar when Jupyter shuts down.

    jupyter_server 2 calls shutdown hooks only on ExtensionApp subclasses, and declaring one would make
    `_jupyter_server_extension_points` import this module (and jupyter_server) eagerly, which kernels
    importing `kamld` must not do. So the server's own cleanup step is wrapped instead.
    """
    original: Callable[[], Awaitable[None]] = serverapp.cleanup_extensions

    async def cleanup_extensions() -> None:
        try:
            await sidecar.stop()
        except Exception:
            serverapp.log.exception("kamld | stopping the sidecar failed")
        if isinstance(sidecar, ManagedSidecar):
            atexit.unregister(sidecar.kill_now)
        await original()

    serverapp.cleanup_extensions = cleanup_extensions  # type: ignore[method-assign]
    if isinstance(sidecar, ManagedSidecar):
        # If Jupyter exits without its cleanup, at least ask the sidecar to stop.
        atexit.register(sidecar.kill_now)

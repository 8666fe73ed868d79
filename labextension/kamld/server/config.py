"""`c.Kamld.*`: the server extension's configuration, with KAMLD_* environment overrides."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from traitlets import CaselessStrEnum, Float, List, Unicode
from traitlets.config import LoggingConfigurable

from ..connection import ENV_CONNECTION_FILE, connection_file_path

# env var -> trait. The environment wins over config files because deployments (a Helm chart, a
# JupyterHub spawner) set env for a container they do not otherwise control.
ENV_OVERRIDES: dict[str, str] = {
    "KAMLD_MODE": "mode",
    "KAMLD_BINARY": "binary",
    "KAMLD_DATA_DIR": "data_dir",
    "KAMLD_URL": "url",
    "KAMLD_TOKEN": "token",
    "KAMLD_TOKEN_FILE": "token_file",
    "KAMLD_AUTH": "auth",
    ENV_CONNECTION_FILE: "connection_file",
}

MANAGED = "managed"
EXTERNAL = "external"
# How the proxy authenticates to kamld (docs/security.md).
AUTH_TOKEN = "token"  # noqa: S105 - a mode's name, not a secret
AUTH_HUB = "hub"


class Kamld(LoggingConfigurable):
    """How JupyterLab reaches the kamld sidecar: start one (managed) or use a running one (external)."""

    mode = CaselessStrEnum(
        ["auto", MANAGED, EXTERNAL],
        default_value="auto",
        help="managed: start and supervise `kamld serve`; external: use `url` and `token`; "
        "auto: external when `url` is set, else managed. Env KAMLD_MODE.",
    ).tag(config=True)

    binary = Unicode(
        None,
        allow_none=True,
        help="The kamld executable for managed mode (a path, or a name looked up on PATH). "
        "Default: kamld/bin/kamld inside this package, then `kamld` on PATH. Env KAMLD_BINARY.",
    ).tag(config=True)

    data_dir = Unicode(
        None,
        allow_none=True,
        help="--data-dir for the managed sidecar. Default: kamld's own ($XDG_DATA_HOME/kamld). "
        "Env KAMLD_DATA_DIR.",
    ).tag(config=True)

    url = Unicode(None, allow_none=True, help="External mode: the sidecar's REST URL. Env KAMLD_URL.").tag(
        config=True
    )

    token = Unicode(
        None,
        allow_none=True,
        help="External mode: the bearer token. Prefer `token_file`. Env KAMLD_TOKEN.",
    ).tag(config=True)

    token_file = Unicode(
        None,
        allow_none=True,
        help="External mode: a file holding the bearer token. Env KAMLD_TOKEN_FILE.",
    ).tag(config=True)

    auth = CaselessStrEnum(
        [AUTH_TOKEN, AUTH_HUB],
        default_value=AUTH_TOKEN,
        help="token: send the sidecar's bearer token and name the Jupyter user in X-Kamld-User (a "
        "single-user kamld trusts its token holder). hub (external mode only): send the user's own "
        "JupyterHub API token ($JUPYTERHUB_API_TOKEN of this single-user server) to a shared kamld, "
        "which verifies it with the Hub; no X-Kamld-User. Env KAMLD_AUTH.",
    ).tag(config=True)

    connection_file = Unicode(
        None,
        allow_none=True,
        help="Where to write the connection file kernels read. "
        "Default: {jupyter_runtime_dir()}/kamld-connection.json. Env KAMLD_CONNECTION_FILE.",
    ).tag(config=True)

    ready_timeout = Float(
        60.0,
        help="Seconds a managed sidecar gets to write its ready file and answer /readyz. Generous on "
        "purpose: a cold start on a busy machine or a slow disk must not count as a failure.",
    ).tag(config=True)

    restart_backoff_initial = Float(
        1.0, help="Seconds before the first restart of a sidecar that exited; doubles each time."
    ).tag(config=True)

    restart_backoff_max = Float(
        30.0,
        help="Upper bound of the restart delay. A sidecar that ran this long before exiting starts "
        "again from restart_backoff_initial.",
    ).tag(config=True)

    stop_timeout = Float(5.0, help="Seconds between SIGTERM and SIGKILL when Jupyter stops the sidecar.").tag(
        config=True
    )

    extra_args = List(
        Unicode(),
        help="Extra arguments for `kamld serve` in managed mode (e.g. ['--log-level', 'debug']).",
    ).tag(config=True)

    proxy_connect_timeout = Float(10.0, help="Seconds the proxy waits to connect to the sidecar.").tag(
        config=True
    )

    proxy_request_timeout = Float(
        0.0,
        help="Seconds a proxied request may take in total; 0 means no limit (uploads, downloads and "
        "log streams can legitimately take long).",
    ).tag(config=True)

    def apply_env(self, environ: Mapping[str, str] | None = None) -> None:
        """Let KAMLD_* variables override the config (empty values are ignored)."""
        env = os.environ if environ is None else environ
        for name, trait in ENV_OVERRIDES.items():
            value = env.get(name, "").strip()
            if value:
                setattr(self, trait, value)

    @property
    def effective_mode(self) -> str:
        """managed or external; a configured url implies external unless mode says otherwise."""
        if self.mode == "auto":
            return EXTERNAL if self.url else MANAGED
        return str(self.mode)

    def connection_file_path(self) -> Path:
        if self.connection_file:
            return Path(self.connection_file).expanduser()
        return connection_file_path()

    def resolve_binary(self) -> tuple[str | None, str]:
        """(absolute path or None, what was looked for) following the contract's lookup order."""
        if self.binary:
            wanted = self.binary
            if os.sep in wanted:
                path = Path(wanted).expanduser().resolve()
                if not path.exists():
                    return None, str(path)
                if not (path.is_file() and os.access(path, os.X_OK)):
                    return None, f"{path} (not an executable file)"
                return str(path), str(path)
            found = shutil.which(wanted)
            return (str(Path(found).resolve()) if found else None), f"{wanted} on PATH"
        bundled = Path(__file__).resolve().parent.parent / "bin" / "kamld"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled), str(bundled)
        found = shutil.which("kamld")
        return (str(Path(found).resolve()) if found else None), "kamld on PATH"

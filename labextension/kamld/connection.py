"""Where the kamld sidecar is: the ONE place that finds it, and the writer of the connection file.

Kernels, magics and the server extension share this file so that all of them talk to the same sidecar.
Lookup order (first match wins):

1. env ``KAMLD_URL`` + ``KAMLD_TOKEN`` (or ``KAMLD_TOKEN_FILE``): an explicitly configured sidecar;
   ``KAMLD_URL`` + ``KAMLD_JOB_TOKEN``: inside a job, its own job-scoped token;
2. env ``KAMLD_CONNECTION_FILE``: a connection file somewhere else;
3. ``{jupyter_runtime_dir()}/kamld-connection.json``: written by the server extension.

This module must not import jupyter_server: it runs inside kernels.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UNAVAILABLE, KamldError, error_for

CONNECTION_FILE_NAME = "kamld-connection.json"

ENV_URL = "KAMLD_URL"
ENV_TOKEN = "KAMLD_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_TOKEN_FILE = "KAMLD_TOKEN_FILE"  # noqa: S105 - likewise
ENV_CONNECTION_FILE = "KAMLD_CONNECTION_FILE"
ENV_JOB_TOKEN = "KAMLD_JOB_TOKEN"  # noqa: S105 - set by the sidecar in a job's environment

HOW_TO_CONNECT = (
    "Start JupyterLab with the kamld extension installed (it starts the sidecar and writes the connection "
    f"file), or set {ENV_URL} and {ENV_TOKEN} to reach a separately started `kamld serve`."
)


@dataclass(frozen=True)
class ConnectionInfo:
    """How to reach one sidecar. `source` says where this came from, for error messages."""

    url: str
    token: str = field(repr=False)
    grpc_addr: str | None = None
    version: str | None = None
    mode: str | None = None
    pid: int | None = None
    source: str = ""
    # "hub": the token is the user's own JupyterHub token and names the user; the client then sends no
    # X-Kamld-User (a shared kamld refuses it). None or "token": a sidecar token, the client names the user.
    auth: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The connection file's content (contract: url, grpc_addr, token, version, mode, pid, auth)."""
        return {
            "url": self.url,
            "grpc_addr": self.grpc_addr,
            "token": self.token,
            "version": self.version,
            "mode": self.mode,
            "pid": self.pid,
            "auth": self.auth,
        }


def default_connection_file() -> Path:
    """{jupyter_runtime_dir()}/kamld-connection.json (jupyter_core honours JUPYTER_RUNTIME_DIR)."""
    # Imported here so that `import kamld` stays cheap; jupyter_core is tiny and never imports the server.
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()) / CONNECTION_FILE_NAME


def connection_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The connection file readers look at and the server extension writes by default."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_CONNECTION_FILE, "").strip()
    return Path(explicit).expanduser() if explicit else default_connection_file()


def read_token_file(path: str | os.PathLike[str]) -> str:
    """The token in a token file, stripped; KamldError when it cannot be read or is empty."""
    p = Path(path).expanduser()
    try:
        token = p.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise error_for(UNAVAILABLE, f"cannot read the kamld token file {p}: {exc.strerror or exc}") from exc
    if not token:
        raise error_for(UNAVAILABLE, f"the kamld token file {p} is empty")
    return token


def read_connection_file(path: str | os.PathLike[str]) -> ConnectionInfo:
    """Parse a connection file; KamldError naming the file when it is missing or malformed."""
    p = Path(path).expanduser()
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error_for(
            UNAVAILABLE, f"no kamld connection file at {p}: the sidecar is not running. {HOW_TO_CONNECT}"
        ) from exc
    except OSError as exc:
        raise error_for(
            UNAVAILABLE, f"cannot read the kamld connection file {p}: {exc.strerror or exc}"
        ) from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise error_for(UNAVAILABLE, f"the kamld connection file {p} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not data.get("url") or not data.get("token"):
        raise error_for(UNAVAILABLE, f"the kamld connection file {p} lacks a url or a token")
    pid = data.get("pid")
    return ConnectionInfo(
        url=str(data["url"]).rstrip("/"),
        token=str(data["token"]),
        grpc_addr=data.get("grpc_addr"),
        version=data.get("version"),
        mode=data.get("mode"),
        pid=pid if isinstance(pid, int) else None,
        source=f"connection file {p}",
        auth=data.get("auth") if isinstance(data.get("auth"), str) else None,
    )


def find_connection(environ: Mapping[str, str] | None = None) -> ConnectionInfo:
    """Find the sidecar following the lookup order in the module docstring."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_URL, "").strip()
    token = env.get(ENV_TOKEN, "").strip()
    token_file = env.get(ENV_TOKEN_FILE, "").strip()
    if url and token:
        return ConnectionInfo(url=url.rstrip("/"), token=token, source=f"env {ENV_URL}/{ENV_TOKEN}")
    job_token = env.get(ENV_JOB_TOKEN, "").strip()
    if url and job_token:
        return ConnectionInfo(
            url=url.rstrip("/"), token=job_token, source=f"env {ENV_URL}/{ENV_JOB_TOKEN} (this job's token)"
        )
    if url and token_file:
        return ConnectionInfo(
            url=url.rstrip("/"),
            token=read_token_file(token_file),
            source=f"env {ENV_URL}/{ENV_TOKEN_FILE}",
        )
    path = connection_file_path(env)
    try:
        return read_connection_file(path)
    except KamldError as exc:
        if url:
            # A half-configured env is the likelier mistake than a missing file: say so.
            raise error_for(
                exc.code, f"{ENV_URL} is set but neither {ENV_TOKEN} nor {ENV_TOKEN_FILE} is; {exc.message}"
            ) from exc
        raise


def write_connection_file(path: str | os.PathLike[str], info: ConnectionInfo) -> Path:
    """Write `info` atomically with mode 0600 (it holds the token), creating the directory 0700."""
    p = Path(path).expanduser()
    p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 from the start, so the token is never readable by others,
    # and the rename makes readers see either the old or the new file, never half of one.
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info.to_json(), f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p


def remove_connection_file(path: str | os.PathLike[str], token: str) -> bool:
    """Remove the file only if it still holds `token`: another Jupyter server may have replaced it."""
    p = Path(path).expanduser()
    try:
        current = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(current, dict) or current.get("token") != token:
        return False
    with contextlib.suppress(FileNotFoundError):
        p.unlink()
    return True

"""Fixtures: a Jupyter server with the kamld extension (pytest-jupyter) and real `kamld` sidecars.

Every test talks to the real binary (env KAMLD_BINARY, default bin/kamld at the repository root). A missing
binary fails the run instead of skipping it: a green run must mean the sidecar was exercised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

import kamld

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_VERSION = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
KAMLD_ENV = (
    "KAMLD_MODE",
    "KAMLD_BINARY",
    "KAMLD_DATA_DIR",
    "KAMLD_URL",
    "KAMLD_TOKEN",
    "KAMLD_TOKEN_FILE",
    "KAMLD_CONNECTION_FILE",
)
# Generous: the machine running the suite may be busy building the frontend at the same time.
STATE_TIMEOUT = 30.0

Fetch = Callable[..., Awaitable[HTTPResponse]]
RawFetch = Callable[..., Awaitable[HTTPResponse]]


def _binary_from_env() -> Path:
    configured = os.environ.get("KAMLD_BINARY", "").strip()
    return Path(configured).resolve() if configured else REPO_ROOT / "bin" / "kamld"


# Read once at import, before the autouse fixture below clears KAMLD_* for every test.
KAMLD_BINARY = _binary_from_env()


# Processes a module- or session-scoped fixture keeps running across tests (a test JupyterHub, a shared
# kamld); they are stopped by their fixture, not at the end of each test.
LONG_LIVED: set[int] = set()


def _child_processes() -> list[str]:
    """Live (non-zombie) child processes of this pytest process, as command lines (LONG_LIVED ones not)."""
    me = str(os.getpid())
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in LONG_LIVED:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[1] == me and fields[0] != "Z":
                children.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip())
        except (OSError, IndexError):
            continue
    return children


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After every test's fixtures are torn down (Jupyter stopped), no sidecar may be left running."""
    result = yield
    deadline = time.monotonic() + 5
    while (left := _child_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes outlived {item.nodeid}: {left}"
    return result


@pytest.fixture(scope="session")
def kamld_binary() -> Path:
    if not (KAMLD_BINARY.is_file() and os.access(KAMLD_BINARY, os.X_OK)):
        pytest.fail(
            f"the kamld binary {KAMLD_BINARY} does not exist: build it with `make build` "
            "or point KAMLD_BINARY at it"
        )
    return KAMLD_BINARY


@pytest.fixture(autouse=True)
def _hermetic_kamld_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """KAMLD_* from the caller's shell would override the test's config (env wins over config)."""
    for name in KAMLD_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def kamld_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "kamld-data"


@pytest.fixture
def kamld_config(kamld_binary: Path, kamld_data_dir: Path) -> dict[str, Any]:
    """c.Kamld for the server under test; modules and classes override it for other modes."""
    return {
        "mode": "managed",
        "binary": str(kamld_binary),
        "data_dir": str(kamld_data_dir),
        "ready_timeout": STATE_TIMEOUT,
        "restart_backoff_initial": 0.2,
        "restart_backoff_max": 2.0,
        "stop_timeout": 5.0,
    }


JUPYTER_USER = "alice"


class FixedUserIdentityProvider(IdentityProvider):
    """Token auth as usual, but the token holder is always the same user.

    jupyter_server gives every token-authenticated request without a login cookie a new random anonymous
    user; a fixed name lets tests assert which identity reaches the sidecar.
    """

    def generate_anonymous_user(self, handler: web.RequestHandler) -> User:
        return User(username=JUPYTER_USER, name="Alice", display_name="Alice")


@pytest.fixture
def jp_server_config(kamld_config: dict[str, Any]) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"kamld": True},
                "identity_provider_class": FixedUserIdentityProvider,
            },
            "Kamld": kamld_config,
        }
    )


# -- talking to the server under test -------------------------------------------------------------------


@pytest.fixture
def raw_fetch(jp_serverapp: Any, http_server_client: Any, jp_base_url: str) -> RawFetch:
    """A request to {base_url}`path` exactly as given: no token added, no escaping (unlike jp_fetch)."""

    def fetch(path: str, **kwargs: Any) -> Awaitable[HTTPResponse]:
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return http_server_client.fetch(jp_base_url + path, **kwargs)  # type: ignore[no-any-return]

    return fetch


async def fetch_json(jp_fetch: Fetch, *parts: str, **kwargs: Any) -> tuple[HTTPResponse, Any]:
    """jp_fetch without raising on error statuses, plus the decoded JSON body (None when not JSON)."""
    response = await jp_fetch(*parts, raise_error=False, **kwargs)
    try:
        body = json.loads(response.body or b"")
    except ValueError:
        body = None
    return response, body


async def wait_for_status(
    jp_fetch: Fetch,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = STATE_TIMEOUT,
) -> dict[str, Any]:
    """Poll {base_url}kamld/status like the panel does until `done(status)`; fail with the last one."""
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response, body = await fetch_json(jp_fetch, "kamld", "status")
        assert response.code == 200, response.body
        status = body
        if done(status):
            return status
        await asyncio.sleep(0.05)
    pytest.fail(f"kamld/status did not reach the expected state in {timeout} s; last: {status}")


def is_running(status: dict[str, Any]) -> bool:
    return status["state"] == "running"


async def wait_running(jp_fetch: Fetch) -> dict[str, Any]:
    """The status once the managed sidecar is up."""
    return await wait_for_status(jp_fetch, is_running)


@pytest.fixture
def connection_file() -> Path:
    """Where the extension writes the connection file: {jupyter_runtime_dir()} (a tmp dir per test)."""
    return Path(jupyter_runtime_dir()) / "kamld-connection.json"


def read_connection(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def process_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


# -- a separately started sidecar, for external mode and the client --------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ExternalSidecar:
    url: str
    grpc_addr: str
    token: str
    token_file: Path
    process: subprocess.Popen[bytes]


def write_private_file(path: Path, content: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


@pytest.fixture
def kernel_sidecar(
    jp_environ: None, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ExternalSidecar]:
    """An external sidecar that the kamld client of this process talks to, as a kernel's would."""
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    kamld.set_client(None)
    yield external_sidecar
    kamld.set_client(None)


@pytest.fixture
def external_sidecar(kamld_binary: Path, tmp_path: Path) -> Iterator[ExternalSidecar]:
    """`kamld serve` started by the test itself on free loopback ports with its own token file."""
    with serve_kamld(kamld_binary, tmp_path / "external") as sidecar:
        yield sidecar


@contextlib.contextmanager
def serve_kamld(
    kamld_binary: Path, base: Path, env: dict[str, str] | None = None
) -> Iterator[ExternalSidecar]:
    """Run `kamld serve` on free loopback ports with its state and a new token file in `base`; `env`
    adds KAMLD_* configuration (shared mode, for one)."""
    base.mkdir(mode=0o700)
    token = secrets.token_urlsafe(24)
    token_file = write_private_file(base / "token", token)
    ready_file = base / "ready.json"
    http_port, grpc_port = free_port(), free_port()
    log = (base / "kamld.log").open("wb")
    process = subprocess.Popen(
        [
            str(kamld_binary),
            "serve",
            "--data-dir",
            str(base / "data"),
            "--grpc-addr",
            f"127.0.0.1:{grpc_port}",
            "--http-addr",
            f"127.0.0.1:{http_port}",
            "--token-file",
            str(token_file),
            "--ready-file",
            str(ready_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + STATE_TIMEOUT
        while not ready_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kamld serve did not start: {(base / 'kamld.log').read_text()}")
            time.sleep(0.02)
        ready = json.loads(ready_file.read_text())
        assert ready["http_url"] == f"http://127.0.0.1:{http_port}"
        yield ExternalSidecar(
            url=ready["http_url"],
            grpc_addr=ready["grpc_addr"],
            token=token,
            token_file=token_file,
            process=process,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

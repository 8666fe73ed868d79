"""A real JupyterHub (pinned in the test extras) with configurable-http-proxy (pinned in the root
package.json), started on loopback ports for a test and stopped after it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
CHP = REPO_ROOT / "node_modules" / ".bin" / "configurable-http-proxy"


class HubError(Exception):
    """The test Hub did not start or refused an admin call."""


@dataclass
class Hub:
    """A running test Hub: its public URL, its REST API URL and the admin service's token."""

    url: str
    api_url: str
    admin_token: str = ""
    password: str = ""
    pid: int = 0
    workdir: Path = Path()

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, timeout: float = 60
    ) -> Any:
        """One REST API call as the admin service (or `token`); the decoded JSON answer. Generous timeout:
        starting a server answers only once the spawn is under way, which takes long on a busy machine."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method)  # noqa: S310
        req.add_header("Authorization", f"token {token or self.admin_token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the loopback Hub
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise HubError(f"{method} {path}: HTTP {exc.code} {exc.read()[:300]!r}") from exc
        return json.loads(raw) if raw else None

    def serve_kamld_at(self, url: str) -> None:
        """Point the users' JupyterLab servers (started after this) at the shared kamld at `url`."""
        (self.workdir / "kamld-url").write_text(url, encoding="utf-8")

    def start_server(self, user: str, timeout: float = 120) -> str:
        """Start `user`'s single-user server; its URL through the Hub's proxy once it is ready."""
        self.call("POST", f"/users/{user}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.call("GET", f"/users/{user}")["servers"].get("", {})
            if server.get("ready"):
                return f"{self.url}{server['url']}".rstrip("/")
            time.sleep(0.5)
        raise HubError(f"the server of {user} did not start in {timeout} s")

    def stop_server(self, user: str) -> None:
        self.call("DELETE", f"/users/{user}/server")

    def token_for(self, user: str, scopes: list[str] | None = None) -> str:
        """A new API token of `user` (all of the user's permissions, or only `scopes`)."""
        body: dict[str, Any] = {"note": "kamld test", "expires_in": 3600}
        if scopes is not None:
            body["scopes"] = scopes
        token: str = self.call("POST", f"/users/{user}/tokens", body)["token"]
        return token


def _wait_up(hub: Hub, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HubError(f"jupyterhub exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            hub.call("GET", "/")
            return
        except (HubError, OSError):
            time.sleep(0.2)
    raise HubError(f"jupyterhub did not answer in {timeout} s: {log.read_text()[-3000:]}")


@contextmanager
def start_hub(
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
    port: int | None = None,
    password: str | None = None,
) -> Iterator[Hub]:
    """Run the test Hub with its state in `workdir` until the block ends: on `port` (default a free one), with
    `password` the users' password at its login page (default a new one)."""
    if not CHP.exists():
        raise HubError(f"{CHP} is missing: run `make node_modules` (configurable-http-proxy is pinned there)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    api_port, proxy_port = free_port(), free_port()
    hub = Hub(
        url=f"http://127.0.0.1:{port}",
        api_url=f"http://127.0.0.1:{port}/hub/api",
        admin_token=secrets.token_hex(16),
        password=password or secrets.token_urlsafe(12),
        workdir=workdir,
    )
    env = {
        **os.environ,
        "KAMLD_TEST_HUB_DIR": str(workdir),
        "KAMLD_TEST_HUB_PORT": str(port),
        "KAMLD_TEST_HUB_API_PORT": str(api_port),
        "KAMLD_TEST_HUB_PROXY_API_PORT": str(proxy_port),
        "KAMLD_TEST_HUB_CHP": str(CHP),
        "KAMLD_TEST_HUB_ADMIN_TOKEN": hub.admin_token,
        "KAMLD_TEST_HUB_PASSWORD": hub.password,
        "KAMLD_TEST_HUB_PYTHON": sys.executable,
        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16),
        **(extra_env or {}),
    }
    log = workdir / "jupyterhub.log"
    with log.open("wb") as out:
        hub_bin = Path(sys.executable).parent / "jupyterhub"
        proc = subprocess.Popen(
            [str(hub_bin), "-f", str(CONFIG)], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        hub.pid = proc.pid
        try:
            _wait_up(hub, proc, log, timeout)
            yield hub
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            _stop_proxy(workdir / "jupyterhub-proxy.pid")


def _stop_proxy(pid_file: Path) -> None:
    """The Hub leaves the proxy it started running on exit (by design); the test stops it."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)

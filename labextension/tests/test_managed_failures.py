"""Managed mode when things go wrong: no binary, a crashing one, one that never gets ready, one that
ignores SIGTERM. The status must say what is wrong and the proxy must answer UNAVAILABLE, never hang."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    Fetch,
    fetch_json,
    process_alive,
    read_connection,
    wait_for_status,
    wait_running,
)


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _pids_running(needle: str) -> list[int]:
    """Live processes whose command line mentions `needle` (our fake binaries have unique paths)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline and process_alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids


async def _assert_unavailable(jp_fetch: Fetch, *why: str) -> None:
    for method, body in (("GET", None), ("POST", b'{"name": "iris"}')):
        response, status = await fetch_json(
            jp_fetch,
            "kamld",
            "api",
            "v1",
            "datasets",
            method=method,
            body=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.code == 503, response.body
        assert status["code"] == 14
        assert status["message"].startswith("kamld sidecar is not running:")
        for part in why:
            assert part in status["message"]


class TestMissingBinary:
    @pytest.fixture
    def kamld_config(self, kamld_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        return {**kamld_config, "binary": str(tmp_path / "nowhere" / "kamld")}

    async def test_status_says_failed_and_why(self, jp_fetch: Fetch, tmp_path: Path) -> None:
        status = await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        missing = str(tmp_path / "nowhere" / "kamld")
        assert missing in status["message"]
        assert "not found" in status["message"]
        assert "KAMLD_BINARY" in status["message"]  # tells the user how to fix it
        assert status["binary"] is None
        assert status["sidecarVersion"] is None
        assert status["mode"] == "managed"

    async def test_proxy_answers_unavailable(self, jp_fetch: Fetch, connection_file: Path) -> None:
        await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        await _assert_unavailable(jp_fetch, "not found")
        assert not connection_file.exists()


class TestBinaryOnPath:
    @pytest.fixture
    def kamld_config(
        self,
        kamld_config: dict[str, Any],
        kamld_binary: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> dict[str, Any]:
        bin_dir = tmp_path / "path-bin"
        bin_dir.mkdir()
        # A wrapper rather than a symlink: the status then names the file found on PATH.
        _executable(bin_dir / "kamld", f'#!/bin/sh\nexec "{kamld_binary}" "$@"\n')
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        return {k: v for k, v in kamld_config.items() if k != "binary"}

    async def test_found_on_path(self, jp_fetch: Fetch, tmp_path: Path) -> None:
        status = await wait_running(jp_fetch)
        assert status["binary"] == str(tmp_path / "path-bin" / "kamld")


class TestCrashingBinary:
    @pytest.fixture
    def kamld_config(self, kamld_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        fake = _executable(
            tmp_path / "crashing-kamld",
            "#!/bin/sh\necho 'kamld: invalid configuration: the disk is on fire'\nexit 3\n",
        )
        return {**kamld_config, "binary": str(fake), "restart_backoff_initial": 0.1}

    async def test_failure_is_explained_and_retried(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        # The sidecar's own last words reach the panel.
        assert "exit code 3" in status["message"]
        assert "the disk is on fire" in status["message"]
        # ... and the manager keeps trying, with back-off, in case the cause goes away.
        status = await wait_for_status(jp_fetch, lambda s: s["restarts"] >= 2)
        assert status["state"] == "failed"
        await _assert_unavailable(jp_fetch, "exit code 3")


class TestNeverReady:
    @pytest.fixture
    def fake(self, tmp_path: Path) -> Path:
        return _executable(tmp_path / "silent-kamld", f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")

    @pytest.fixture
    def kamld_config(self, kamld_config: dict[str, Any], fake: Path) -> dict[str, Any]:
        return {**kamld_config, "binary": str(fake), "ready_timeout": 1.0, "restart_backoff_initial": 5.0}

    async def test_ready_timeout_fails_and_kills_it(self, jp_fetch: Fetch, fake: Path) -> None:
        status = await wait_for_status(jp_fetch, lambda s: _pids_running(str(fake)) != [])
        assert status["state"] == "starting"
        status = await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        assert "did not become ready within 1 s" in status["message"]
        # The one that did not get ready is not left behind.
        deadline = time.monotonic() + 10
        while _pids_running(str(fake)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _pids_running(str(fake)) == []


FAKE_STUBBORN_SIDECAR = """\
import http.server, json, os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
args = sys.argv[1:]
ready = args[args.index("--ready-file") + 1]
token = open(args[args.index("--token-file") + 1]).read().strip()
assert len(token) >= 16

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
info = {"version": "0.0.0-fake", "grpc_addr": "127.0.0.1:1",
        "http_url": "http://127.0.0.1:%d" % server.server_address[1], "pid": os.getpid()}
with open(ready + ".tmp", "w") as f:
    json.dump(info, f)
os.replace(ready + ".tmp", ready)
print("fake kamld up, ignoring SIGTERM", flush=True)
server.serve_forever()
"""


class TestStubbornSidecar:
    @pytest.fixture
    def kamld_config(self, kamld_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        fake = _executable(tmp_path / "stubborn-kamld", f"#!{sys.executable}\n{FAKE_STUBBORN_SIDECAR}")
        return {**kamld_config, "binary": str(fake), "stop_timeout": 0.5}

    async def test_sigkill_after_the_grace_period(
        self, jp_serverapp: Any, jp_fetch: Fetch, connection_file: Path
    ) -> None:
        status = await wait_running(jp_fetch)
        assert status["sidecarVersion"] == "0.0.0-fake"
        pid = read_connection(connection_file)["pid"]
        started = time.monotonic()
        await jp_serverapp.cleanup_extensions()
        assert time.monotonic() - started >= 0.5  # it got its grace period first
        assert not process_alive(pid)
        assert not connection_file.exists()

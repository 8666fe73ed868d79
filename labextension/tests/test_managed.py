"""Managed mode: the extension starts the real sidecar, proxies to it, restarts it and stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from pathlib import Path
from typing import Any

import requests

import kamld

from .conftest import (
    EXPECTED_VERSION,
    JUPYTER_USER,
    Fetch,
    fetch_json,
    is_running,
    process_alive,
    read_connection,
    wait_for_status,
    wait_running,
)


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _get_info(url: str, token: str) -> dict[str, Any]:
    resp = requests.get(f"{url}/v1/system/info", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


async def test_proxy_returns_system_info(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    response, info = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    assert response.code == 200, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    # Copied from the sidecar's response, so the panel can quote it in a bug report.
    assert response.headers.get("X-Request-Id")
    assert info["version"] == EXPECTED_VERSION == kamld.__version__
    assert info["apiVersion"] == "kamld.v1"
    assert info["health"] == "HEALTH_SERVING"
    assert info["identity"] == JUPYTER_USER
    backends = {b["capability"]: b for b in info["backends"]}
    assert set(backends) == {"blob", "index", "sql", "compute"}
    assert backends["blob"]["health"] == "HEALTH_SERVING"


async def test_status_reports_running_sidecar(
    jp_fetch: Fetch, kamld_binary: Path, connection_file: Path
) -> None:
    status = await wait_running(jp_fetch)
    assert status == {
        "mode": "managed",
        "state": "running",
        "message": status["message"],
        "extensionVersion": EXPECTED_VERSION,
        "sidecarVersion": EXPECTED_VERSION,
        "restarts": 0,
        "binary": str(kamld_binary),
    }
    assert EXPECTED_VERSION in status["message"]
    # The browser may see the status, never the token.
    assert read_connection(connection_file)["token"] not in str(status)


async def test_connection_file_is_private_and_works(jp_fetch: Fetch, connection_file: Path) -> None:
    await wait_running(jp_fetch)
    assert stat.S_IMODE(connection_file.stat().st_mode) == 0o600
    conn = read_connection(connection_file)
    assert set(conn) == {"url", "grpc_addr", "token", "version", "mode", "pid", "auth"}
    assert conn["auth"] == "token"
    assert conn["mode"] == "managed"
    assert conn["version"] == EXPECTED_VERSION
    assert conn["url"].startswith("http://127.0.0.1:")
    assert conn["grpc_addr"].startswith("127.0.0.1:")
    assert process_alive(conn["pid"])
    # The url and token in it reach the sidecar directly, as kernels do.
    info = await asyncio.to_thread(_get_info, conn["url"], conn["token"])
    assert info["version"] == EXPECTED_VERSION


async def test_sidecar_runs_with_a_private_token_file(
    jp_fetch: Fetch, connection_file: Path, kamld_data_dir: Path
) -> None:
    await wait_running(jp_fetch)
    conn = read_connection(connection_file)
    argv = _cmdline(conn["pid"])
    assert argv[1] == "serve"
    token_file = Path(_flag(argv, "--token-file"))
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    assert token_file.read_text().strip() == conn["token"]
    assert len(conn["token"]) >= 32
    assert Path(_flag(argv, "--ready-file")).parent == token_file.parent
    # Loopback ports picked by the sidecar, and the data dir from c.Kamld.data_dir.
    assert _flag(argv, "--http-addr") == "127.0.0.1:0"
    assert _flag(argv, "--grpc-addr") == "127.0.0.1:0"
    assert _flag(argv, "--data-dir") == str(kamld_data_dir)
    assert kamld_data_dir.is_dir()


async def test_sidecar_errors_are_relayed_unchanged(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "no-such-route")
    assert response.code == 404
    assert body["code"] == 5  # NOT_FOUND from the sidecar, not Jupyter's own 404
    assert "no-such-route" in body["message"]

    response, body = await fetch_json(
        jp_fetch, "kamld", "api", "v1", "system", "info", method="PUT", body=b"{}"
    )
    assert response.code == 405
    assert body["code"] == 12


def json_headers() -> dict[str, str]:
    # A fresh dict per call: jp_fetch adds the (per-test) Jupyter token to the dict it is given.
    return {"Content-Type": "application/json"}


async def test_proxy_forwards_request_bodies(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    # CreateDataset parses its body before it finds the datasets capability missing: each answer below
    # shows the sidecar saw the body the browser sent, byte for byte.
    response, body = await fetch_json(
        jp_fetch, "kamld", "api", "v1", "datasets", method="POST", body=b"{not json", headers=json_headers()
    )
    assert response.code == 400, response.body
    assert body["code"] == 3
    response, body = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "datasets",
        method="POST",
        body=b'{"bogus": 1}',
        headers=json_headers(),
    )
    assert response.code == 400, response.body
    assert body["code"] == 3
    assert "bogus" in body["message"]
    # A write the sidecar carries out: what comes back was sent in the body.
    response, body = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "datasets",
        method="POST",
        params={"datasetId": "proxied"},
        body=b'{"description": "sent through the proxy"}',
        headers=json_headers(),
    )
    assert response.code == 200, response.body
    assert body["name"] == "datasets/proxied"
    assert body["description"] == "sent through the proxy"


async def test_oversized_body_is_resource_exhausted(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    # Over the sidecar's 16 MiB message limit: the sidecar's RESOURCE_EXHAUSTED must reach the browser
    # (the sidecar answers without reading the body, so the proxy must not report a broken connection).
    big = b'{"description": "' + b"a" * (20 << 20) + b'"}'
    response, body = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "datasets",
        method="POST",
        body=big,
        headers=json_headers(),
        request_timeout=60,
    )
    assert response.code == 413, response.body
    assert body["code"] == 8


async def test_restarts_a_killed_sidecar(jp_fetch: Fetch, connection_file: Path) -> None:
    await wait_running(jp_fetch)
    before = read_connection(connection_file)
    os.kill(before["pid"], signal.SIGKILL)

    status = await wait_for_status(jp_fetch, lambda s: s["state"] == "running" and s["restarts"] >= 1)
    assert status["restarts"] == 1
    after = read_connection(connection_file)
    assert after["pid"] != before["pid"]
    assert not process_alive(before["pid"])
    assert process_alive(after["pid"])
    # A fresh token for the new process: the old one died with it.
    assert after["token"] != before["token"]
    response, info = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    assert response.code == 200, response.body
    assert info["version"] == EXPECTED_VERSION


async def test_proxy_answers_unavailable_while_the_sidecar_is_down(
    jp_fetch: Fetch, connection_file: Path
) -> None:
    await wait_running(jp_fetch)
    pid = read_connection(connection_file)["pid"]
    os.kill(pid, signal.SIGKILL)
    # Asked at once: the port is closed before the manager notices, or the endpoint is gone after.
    # Either way the browser gets UNAVAILABLE as google.rpc.Status, never a hang or an HTML page.
    response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    if response.code == 200:
        # Only possible if the manager restarted it in between; then it must be a new process.
        assert read_connection(connection_file)["pid"] != pid
    else:
        assert response.code == 503, response.body
        assert body["code"] == 14
        assert body["message"].startswith("kamld sidecar is not running:")
        assert body["details"] == []
    await wait_for_status(jp_fetch, lambda s: s["state"] == "running" and s["restarts"] >= 1)


async def test_stops_the_sidecar_with_jupyter(
    jp_serverapp: Any, jp_fetch: Fetch, connection_file: Path
) -> None:
    await wait_running(jp_fetch)
    conn = read_connection(connection_file)
    private_dir = Path(_flag(_cmdline(conn["pid"]), "--token-file")).parent

    # The step of Jupyter's shutdown that stops extensions.
    await jp_serverapp.cleanup_extensions()

    assert not process_alive(conn["pid"])
    assert not connection_file.exists()
    assert not private_dir.exists()
    _, status = await fetch_json(jp_fetch, "kamld", "status")
    assert status["state"] == "stopped"
    response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    assert response.code == 503
    assert body["code"] == 14


async def test_stops_gracefully_while_a_client_long_polls(
    jp_serverapp: Any, jp_fetch: Fetch, connection_file: Path
) -> None:
    """The panel keeps a 25 s long poll on the change feed open; stopping must neither wait for it nor end
    in SIGKILL. The sidecar's own graceful timeout sits below the grace period Jupyter gives it."""
    await wait_running(jp_fetch)
    conn = read_connection(connection_file)
    argv = _cmdline(conn["pid"])
    assert float(_flag(argv, "--shutdown-timeout").rstrip("s")) < 5.0

    headers = {"Authorization": f"Bearer {conn['token']}"}

    def long_poll() -> int:
        now = requests.get(f"{conn['url']}/v1/changes", headers=headers, timeout=10).json()
        resp = requests.get(
            f"{conn['url']}/v1/changes",
            params={"waitSeconds": 60, "epoch": now["epoch"], "afterSequence": now.get("sequence", 0)},
            headers=headers,
            timeout=90,
        )
        return resp.status_code

    polling = asyncio.ensure_future(asyncio.to_thread(long_poll))
    await asyncio.sleep(1.0)  # the poll is waiting in the sidecar
    started = asyncio.get_running_loop().time()
    await jp_serverapp.cleanup_extensions()
    took = asyncio.get_running_loop().time() - started

    assert not process_alive(conn["pid"])
    assert took < 3.0, f"stopping took {took:.1f} s"
    assert await polling == 200  # answered, not cut off


async def test_only_starting_then_running_on_the_way_up(jp_fetch: Fetch) -> None:
    seen: list[str] = []

    def record(status: dict[str, Any]) -> bool:
        seen.append(status["state"])
        return is_running(status)

    await wait_for_status(jp_fetch, record)
    assert set(seen) <= {"starting", "running"}
    assert seen[-1] == "running"

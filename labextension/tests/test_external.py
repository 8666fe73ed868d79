"""External mode: the test starts `kamld serve` itself (as Kubernetes would start a sidecar container)
and points the extension at it through config or env; Jupyter runs no process of its own."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    EXPECTED_VERSION,
    JUPYTER_USER,
    ExternalSidecar,
    Fetch,
    fetch_json,
    free_port,
    process_alive,
    read_connection,
    wait_for_status,
)


def _has_version(status: dict[str, Any]) -> bool:
    return status["sidecarVersion"] is not None


async def _assert_proxy_reaches(jp_fetch: Fetch) -> None:
    response, info = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    assert response.code == 200, response.body
    assert info["version"] == EXPECTED_VERSION
    assert info["identity"] == JUPYTER_USER


class TestConfiguredByTraitlets:
    @pytest.fixture
    def kamld_config(self, external_sidecar: ExternalSidecar) -> dict[str, Any]:
        return {
            "mode": "external",
            "url": external_sidecar.url,
            "token_file": str(external_sidecar.token_file),
        }

    async def test_proxy_and_status(self, jp_fetch: Fetch, external_sidecar: ExternalSidecar) -> None:
        status = await wait_for_status(jp_fetch, _has_version)
        assert status == {
            "mode": "external",
            "state": "external",
            "message": status["message"],
            "extensionVersion": EXPECTED_VERSION,
            "sidecarVersion": EXPECTED_VERSION,
            "restarts": 0,
            "binary": None,
        }
        assert external_sidecar.url in status["message"]
        assert external_sidecar.token not in str(status)
        await _assert_proxy_reaches(jp_fetch)

    async def test_connection_file_names_the_external_sidecar(
        self, jp_fetch: Fetch, external_sidecar: ExternalSidecar, connection_file: Path
    ) -> None:
        await wait_for_status(jp_fetch, _has_version)
        assert stat.S_IMODE(connection_file.stat().st_mode) == 0o600
        conn = read_connection(connection_file)
        assert conn["mode"] == "external"
        assert conn["url"] == external_sidecar.url
        assert conn["token"] == external_sidecar.token

    async def test_jupyter_leaves_the_external_sidecar_running(
        self, jp_serverapp: Any, jp_fetch: Fetch, external_sidecar: ExternalSidecar, connection_file: Path
    ) -> None:
        await wait_for_status(jp_fetch, _has_version)
        await jp_serverapp.cleanup_extensions()
        assert process_alive(external_sidecar.process.pid)
        assert not connection_file.exists()


class TestConfiguredByEnv:
    @pytest.fixture
    def kamld_config(
        self, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.setenv("KAMLD_MODE", "external")
        monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
        monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
        return {}

    async def test_proxy_and_status(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, _has_version)
        assert (status["mode"], status["state"]) == ("external", "external")
        await _assert_proxy_reaches(jp_fetch)


class TestWrongToken:
    @pytest.fixture
    def kamld_config(self, external_sidecar: ExternalSidecar) -> dict[str, Any]:
        return {"mode": "external", "url": external_sidecar.url, "token": "not-the-token-0123456789"}

    async def test_sidecar_refusal_is_reported(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, lambda s: "UNAUTHENTICATED" in s["message"])
        assert status["state"] == "external"
        assert status["sidecarVersion"] is None
        response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
        assert response.code == 401
        assert body["code"] == 16


class TestUnreachable:
    @pytest.fixture
    def kamld_config(self) -> dict[str, Any]:
        # A port nobody listens on (free a moment ago).
        return {"mode": "external", "url": f"http://127.0.0.1:{free_port()}", "token": "t" * 32}

    async def test_status_and_proxy_say_unavailable(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, lambda s: "not reachable" in s["message"])
        assert status["sidecarVersion"] is None
        response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
        assert response.code == 503, response.body
        assert body["code"] == 14
        assert body["message"].startswith("kamld sidecar is not running:")


class TestMissingUrl:
    @pytest.fixture
    def kamld_config(self) -> dict[str, Any]:
        return {"mode": "external", "token": "t" * 32}

    async def test_failed_with_a_hint(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        assert "KAMLD_URL" in status["message"]
        response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
        assert response.code == 503
        assert body["code"] == 14

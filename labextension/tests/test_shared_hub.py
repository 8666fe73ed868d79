"""A shared kamld (auth.mode shared) that authenticates users by their JupyterHub tokens, against a real
JupyterHub on loopback (tests/hub): who each token maps to, the custom scope, revocation after the cache TTL,
forged identity headers, and the server extension forwarding the user's own Hub token (Kamld.auth "hub").
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import kamld

from .conftest import (
    LONG_LIVED,
    ExternalSidecar,
    Fetch,
    fetch_json,
    read_connection,
    serve_kamld,
    wait_for_status,
)
from .hub import Hub, start_hub

SCOPE = "custom:kamld:use"
CACHE_TTL = 1.0


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with start_hub(tmp_path_factory.mktemp("hub")) as h:
        LONG_LIVED.add(h.pid)
        yield h
        LONG_LIVED.discard(h.pid)


@pytest.fixture(scope="module")
def shared(
    kamld_binary: Path, hub: Hub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExternalSidecar]:
    """One kamld for every user: shared mode, Hub tokens, the custom scope required, admins by group."""
    env = {
        "KAMLD_AUTH_MODE": "shared",
        "KAMLD_AUTH_HUB_API_URL": hub.api_url,
        "KAMLD_AUTH_HUB_SCOPE": SCOPE,
        "KAMLD_AUTH_HUB_CACHE_TTL": f"{CACHE_TTL}s",
        "KAMLD_AUTH_ADMIN_GROUPS": "admins",
        "KAMLD_IMPORT_SAMPLES": "false",
        # Shared mode refuses local jobs without a separate uid; a test cannot switch users, so it names its
        # own (which isolates nothing: these tests run no jobs).
        "KAMLD_COMPUTE_LOCAL_RUN_AS": f"{os.getuid()}:{os.getgid()}",
    }
    with serve_kamld(kamld_binary, tmp_path_factory.mktemp("shared") / "kamld", env) as sidecar:
        LONG_LIVED.add(sidecar.process.pid)
        yield sidecar
        LONG_LIVED.discard(sidecar.process.pid)


def info(shared: ExternalSidecar, token: str, **headers: str) -> tuple[int, dict[str, Any]]:
    resp = requests.get(
        f"{shared.url}/v1/system/info", headers={"Authorization": f"Bearer {token}", **headers}, timeout=10
    )
    return resp.status_code, resp.json()


def reason(body: dict[str, Any]) -> str:
    return next(str(d["reason"]) for d in body["details"] if d["@type"].endswith("ErrorInfo"))


def test_each_users_token_maps_to_that_user_and_groups(hub: Hub, shared: ExternalSidecar) -> None:
    code, erin = info(shared, hub.token_for("erin"))
    assert code == 200, erin
    assert (erin["identity"], sorted(erin["groups"]), erin["admin"], erin["verified"]) == (
        "erin",
        ["admins", "lab"],
        True,
        True,
    )
    code, bob = info(shared, hub.token_for("bob"))
    assert code == 200, bob
    assert (bob["identity"], bob["groups"], bob["admin"]) == ("bob", ["lab"], False)


def test_a_deleted_users_token_is_refused_after_the_ttl(hub: Hub, shared: ExternalSidecar) -> None:
    hub.call("POST", "/users/dave")
    hub.call("POST", "/groups/lab/users", {"users": ["dave"]})
    token = hub.token_for("dave")
    code, body = info(shared, token)
    assert (code, body.get("identity")) == (200, "dave"), body
    hub.call("DELETE", "/users/dave")
    time.sleep(CACHE_TTL + 0.5)
    code, body = info(shared, token)
    assert code == 401, body
    assert reason(body) == "TOKEN_INVALID"
    assert "deleted" in body["message"]


def test_a_revoked_token_is_refused_after_the_ttl(hub: Hub, shared: ExternalSidecar) -> None:
    token = hub.token_for("bob")
    assert info(shared, token)[0] == 200
    model = hub.call("GET", "/user", token=token)
    hub.call("DELETE", f"/users/bob/tokens/{model['token_id']}")
    time.sleep(CACHE_TTL + 0.5)
    code, body = info(shared, token)
    assert (code, reason(body)) == (401, "TOKEN_INVALID"), body


def test_a_token_without_the_kamld_scope_is_refused(hub: Hub, shared: ExternalSidecar) -> None:
    # carol holds no role granting the scope; alice does, but this token of hers was issued without it.
    for token in (hub.token_for("carol"), hub.token_for("alice", ["read:users:name!user"])):
        code, body = info(shared, token)
        assert code == 403, body
        assert reason(body) == "CREDENTIAL_SCOPE_MISSING"
        assert SCOPE in body["message"]


@pytest.mark.parametrize("header", ["X-Kamld-User", "Grpc-Metadata-X-Kamld-User"])
def test_a_forged_identity_header_is_refused(hub: Hub, shared: ExternalSidecar, header: str) -> None:
    code, body = info(shared, hub.token_for("bob"), **{header: "alice"})
    assert code == 403, body
    assert reason(body) == "IDENTITY_HEADER_REFUSED"


def test_admins_read_the_audit_log_others_are_refused(hub: Hub, shared: ExternalSidecar) -> None:
    bob = kamld.Client(shared.url, hub.token_for("bob"), auth="hub")
    with pytest.raises(kamld.KamldError) as refused:
        bob.audit_records()
    assert (refused.value.code_name, refused.value.reason) == ("PERMISSION_DENIED", "PERMISSION_DENIED")
    erin = kamld.Client(shared.url, hub.token_for("erin"), auth="hub")
    records = erin.audit_records(subject="bob", outcome="PERMISSION_DENIED")
    assert any(r["method"].endswith("/ListAuditRecords") and r["groups"] == ["lab"] for r in records), records


def test_unknown_and_missing_tokens_are_refused(shared: ExternalSidecar) -> None:
    code, body = info(shared, "0123456789abcdef0123456789abcdef")
    assert (code, reason(body)) == (401, "TOKEN_INVALID")
    code, body = info(shared, shared.token)
    assert (code, reason(body)) == (401, "TOKEN_INVALID"), "the sidecar token names no one in shared mode"
    resp = requests.get(f"{shared.url}/v1/system/info", timeout=10)
    assert resp.status_code == 401


class TestExtensionForwardsTheUsersHubToken:
    """JupyterLab in external mode with auth "hub": the proxy and the kernels' client send the user's own
    Hub token and no X-Kamld-User. The Jupyter user of this server is "alice" (conftest), the Hub token is
    bob's: kamld sees bob, so the token alone names the user."""

    @pytest.fixture
    def kamld_config(
        self, hub: Hub, shared: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.token_for("bob"))
        return {"mode": "external", "url": shared.url, "auth": "hub"}

    async def test_proxy_acts_as_the_hub_user(self, jp_fetch: Fetch, connection_file: Path) -> None:
        await wait_for_status(jp_fetch, lambda s: s["sidecarVersion"] is not None)
        response, body = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
        assert response.code == 200, response.body
        assert (body["identity"], body["verified"]) == ("bob", True)

        conn = read_connection(connection_file)
        assert conn["auth"] == "hub"
        kamld.set_client(None)
        try:
            assert kamld.Client().info()["identity"] == "bob"
        finally:
            kamld.set_client(None)

    async def test_a_forged_header_from_the_browser_is_not_forwarded(self, jp_fetch: Fetch) -> None:
        await wait_for_status(jp_fetch, lambda s: s["sidecarVersion"] is not None)
        response, body = await fetch_json(
            jp_fetch, "kamld", "api", "v1", "system", "info", headers={"X-Kamld-User": "alice"}
        )
        assert response.code == 200, response.body
        assert body["identity"] == "bob"


class TestHubAuthNeedsExternalMode:
    @pytest.fixture
    def kamld_config(self, kamld_config: dict[str, Any]) -> dict[str, Any]:
        return {**kamld_config, "auth": "hub"}

    async def test_managed_with_hub_auth_fails_with_a_hint(self, jp_fetch: Fetch) -> None:
        status = await wait_for_status(jp_fetch, lambda s: s["state"] == "failed")
        assert "external mode" in status["message"]


def test_two_users_each_jupyterlab_acts_as_its_user(hub: Hub, shared: ExternalSidecar) -> None:
    """alice and bob each get a JupyterLab (with the kamld extension, external mode, auth "hub") spawned by
    the Hub; through their own servers each reaches the one shared kamld as themselves, and a forged
    X-Kamld-User sent to their server goes nowhere."""
    hub.serve_kamld_at(shared.url)
    servers: dict[str, str] = {}
    try:
        for user in ("alice", "bob"):
            servers[user] = hub.start_server(user)
        for user, url in servers.items():
            auth = {"Authorization": f"token {hub.token_for(user)}"}
            resp = requests.get(
                f"{url}/kamld/api/v1/system/info", headers={**auth, "X-Kamld-User": "mallory"}, timeout=30
            )
            assert resp.status_code == 200, resp.text
            assert (resp.json()["identity"], resp.json()["verified"]) == (user, True)
            resp = requests.post(
                f"{url}/kamld/api/v1/datasets",
                params={"datasetId": f"{user}-notes"},
                json={},
                headers=auth,
                timeout=30,
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["owner"] == user
    finally:
        for user in servers:
            hub.stop_server(user)

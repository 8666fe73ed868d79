"""The proxy is behind Jupyter's authentication, XSRF and origin checks, and sets the identity itself."""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse
from tornado.httputil import url_concat

from .conftest import JUPYTER_USER, Fetch, RawFetch, fetch_json, wait_running


async def _login_cookie(jp_fetch: Fetch) -> str:
    """Log in with the token once, as a browser does; keep only the login cookie jupyter_server sets."""
    response = await jp_fetch("kamld", "status")
    cookies = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        cookies.load(header)
    login = [m for name, m in cookies.items() if name.startswith("username-")]
    assert login, f"no login cookie in {response.headers.get_list('Set-Cookie')}"
    return f"{login[0].key}={login[0].value}"


def _json(response: HTTPResponse) -> Any:
    return json.loads(response.body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "kamld/api/v1/system/info", None),
        ("POST", "kamld/api/v1/datasets", b'{"name": "iris"}'),
        ("DELETE", "kamld/api/v1/datasets/iris", None),
        ("GET", "kamld/status", None),
    ],
)
async def test_unauthenticated_requests_are_refused(
    jp_fetch: Fetch, raw_fetch: RawFetch, method: str, path: str, body: bytes | None
) -> None:
    await wait_running(jp_fetch)
    response = await raw_fetch(path, method=method, body=body)
    assert response.code in (401, 403), response.body
    # Jupyter's refusal, not something the sidecar said.
    assert "X-Request-Id" not in response.headers
    assert "code" not in _json(response)


async def test_a_wrong_jupyter_token_is_refused(jp_fetch: Fetch, raw_fetch: RawFetch) -> None:
    await wait_running(jp_fetch)
    response = await raw_fetch("kamld/api/v1/system/info", headers={"Authorization": "token wrong"})
    assert response.code in (401, 403)
    # The sidecar's own token is no Jupyter credential either.
    response = await raw_fetch("kamld/api/v1/system/info", headers={"Authorization": "Bearer x"})
    assert response.code in (401, 403)


async def test_cookie_auth_needs_the_xsrf_token_for_writes(jp_fetch: Fetch, raw_fetch: RawFetch) -> None:
    await wait_running(jp_fetch)
    cookie = await _login_cookie(jp_fetch)
    json_type = {"Content-Type": "application/json"}

    # Reads need only the cookie.
    response = await raw_fetch("kamld/api/v1/system/info", headers={"Cookie": cookie})
    assert response.code == 200, response.body
    assert _json(response)["identity"] == JUPYTER_USER

    # A write without the XSRF token is refused by Jupyter before anything reaches the sidecar.
    response = await raw_fetch(
        "kamld/api/v1/datasets",
        method="POST",
        body=b'{"name": "iris"}',
        headers={"Cookie": cookie, **json_type},
    )
    assert response.code == 403, response.body
    assert "xsrf" in _json(response)["message"].lower()
    assert "X-Request-Id" not in response.headers

    # A mismatching XSRF token is refused too.
    response = await raw_fetch(
        "kamld/api/v1/datasets",
        method="POST",
        body=b'{"name": "iris"}',
        headers={"Cookie": f"{cookie}; _xsrf={secrets.token_hex(16)}", "X-XSRFToken": "other", **json_type},
    )
    assert response.code == 403, response.body

    # With the double-submit token (cookie + header), the write goes through to the sidecar and is done.
    xsrf = secrets.token_hex(16)
    response = await raw_fetch(
        "kamld/api/v1/datasets?datasetId=xsrf-ok",
        method="POST",
        body=b'{"description": "written with the XSRF token"}',
        headers={"Cookie": f"{cookie}; _xsrf={xsrf}", "X-XSRFToken": xsrf, **json_type},
    )
    assert response.code == 200, response.body
    assert _json(response)["description"] == "written with the XSRF token"
    assert response.headers.get("X-Request-Id")


async def test_the_xsrf_token_also_works_as_a_query_argument(jp_fetch: Fetch, raw_fetch: RawFetch) -> None:
    # tornado also accepts ?_xsrf= (forms); it must not be mistaken for part of the sidecar call.
    await wait_running(jp_fetch)
    cookie = await _login_cookie(jp_fetch)
    xsrf = secrets.token_hex(16)
    response = await raw_fetch(
        url_concat("kamld/api/v1/datasets", {"_xsrf": xsrf}),
        method="POST",
        body=b'{"name": "iris"}',
        headers={"Cookie": f"{cookie}; _xsrf={xsrf}", "Content-Type": "application/json"},
    )
    assert response.code in (400, 501), response.body
    assert _json(response)["code"] in (3, 12)


async def test_cross_origin_requests_are_refused(jp_fetch: Fetch, raw_fetch: RawFetch) -> None:
    await wait_running(jp_fetch)
    cookie = await _login_cookie(jp_fetch)
    response = await raw_fetch(
        "kamld/api/v1/system/info", headers={"Cookie": cookie, "Origin": "https://evil.example"}
    )
    assert response.code in (403, 404), response.body
    assert "X-Request-Id" not in response.headers


async def test_identity_is_the_jupyter_user(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    response = await jp_fetch("api", "me")
    assert json.loads(response.body)["identity"]["username"] == JUPYTER_USER
    _, info = await fetch_json(jp_fetch, "kamld", "api", "v1", "system", "info")
    assert info["identity"] == JUPYTER_USER


async def test_the_browser_cannot_choose_the_identity(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    spoofing = {
        "X-Kamld-User": "mallory",
        # grpc-gateway maps Grpc-Metadata-* headers to gRPC metadata: x-kamld-user by another name.
        "Grpc-Metadata-X-Kamld-User": "mallory",
        "Grpc-Metadata-Authorization": "Bearer nothing",
    }
    # Several times: which of two metadata values wins can depend on map order in the gateway.
    for _ in range(8):
        response, info = await fetch_json(
            jp_fetch, "kamld", "api", "v1", "system", "info", headers=dict(spoofing)
        )
        assert response.code == 200, response.body
        assert info["identity"] == JUPYTER_USER


async def test_jupyter_credentials_in_the_query_stay_in_jupyter(
    jp_fetch: Fetch, raw_fetch: RawFetch, jp_serverapp: Any
) -> None:
    # `?token=` is how Jupyter links authenticate; the proxy must not pass Jupyter's token on (nor let
    # the gateway reject it as an unknown query parameter).
    await wait_running(jp_fetch)
    token = jp_serverapp.identity_provider.token
    response = await raw_fetch(url_concat("kamld/api/v1/system/info", {"token": token}))
    assert response.code == 200, response.body
    assert _json(response)["identity"] == JUPYTER_USER

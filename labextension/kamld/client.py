"""`kamld.Client`: the Python client kernels use to call the sidecar's REST API directly.

It finds the sidecar through `kamld.connection` (env or the connection file the server extension writes),
so a notebook needs no configuration. No jupyter_server import here: this runs inside kernels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import requests

from .connection import ConnectionInfo, find_connection
from .errors import UNAUTHENTICATED, UNAVAILABLE, KamldError, grpc_code_from_http
from .identity import USER_HEADER, default_user, user_header_value

DEFAULT_TIMEOUT = 30.0


class BuildInfo(TypedDict, total=False):
    commit: str
    time: str
    goVersion: str
    platform: str


class BackendInfo(TypedDict, total=False):
    capability: str
    backend: str
    health: str
    message: str
    location: str


class SystemInfo(TypedDict, total=False):
    """SystemService.GetInfo as proto3 JSON (lowerCamelCase, enums as strings)."""

    version: str
    apiVersion: str
    build: BuildInfo
    health: str
    backends: list[BackendInfo]
    capabilities: list[str]
    startTime: str
    identity: str


class Client:
    """A synchronous client of the kamld REST API.

    With no arguments it finds the sidecar like the magics and the panel do (see `kamld.connection`),
    and finds it again once if a call fails because the sidecar was restarted (new port, new token).
    Pass `url` and `token` to talk to a specific sidecar instead.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        user: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if (url is None) != (token is None):
            raise ValueError("pass both url and token, or neither to find the sidecar automatically")
        self._discover = url is None
        self._conn = (
            ConnectionInfo(url=url.rstrip("/"), token=token, source="arguments")
            if url is not None and token is not None
            else find_connection()
        )
        self.user = user or default_user()
        self.timeout = timeout
        self._session = session or requests.Session()
        self._apply_auth()

    # -- the API -----------------------------------------------------------------------------------------

    def info(self) -> SystemInfo:
        """SystemService.GetInfo: version, build, overall health and one entry per backend."""
        result: SystemInfo = self.request("GET", "/v1/system/info")
        return result

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call any REST route (e.g. "/v1/system/info") and return its decoded JSON body."""
        try:
            return self._request_once(method, path, params=params, json=json)
        except KamldError as exc:
            # The sidecar may have been restarted on a new port with a new token since we looked it up.
            if self._discover and exc.code in (UNAVAILABLE, UNAUTHENTICATED) and self._rediscover():
                return self._request_once(method, path, params=params, json=json)
            raise

    # -- plumbing ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._conn.url

    @property
    def connection(self) -> ConnectionInfo:
        return self._conn

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"kamld.Client(url={self.url!r}, user={self.user!r}, source={self._conn.source!r})"

    def _apply_auth(self) -> None:
        self._session.headers["Authorization"] = f"Bearer {self._conn.token}"
        self._session.headers[USER_HEADER] = user_header_value(self.user)

    def _rediscover(self) -> bool:
        """Look the sidecar up again; True when it is now somewhere else (worth one retry)."""
        try:
            fresh = find_connection()
        except KamldError:
            return False
        if (fresh.url, fresh.token) == (self._conn.url, self._conn.token):
            return False
        self._conn = fresh
        self._apply_auth()
        return True

    def _request_once(self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any) -> Any:
        url = f"{self._conn.url}/{path.lstrip('/')}"
        try:
            resp = self._session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise KamldError(
                UNAVAILABLE,
                f"cannot reach the kamld sidecar at {self._conn.url} (from {self._conn.source}): {exc}. "
                "Is JupyterLab with the kamld extension (or `kamld serve`) still running?",
            ) from exc
        except requests.Timeout as exc:
            raise KamldError(
                4, f"the kamld sidecar at {self._conn.url} did not answer within {self.timeout} s"
            ) from exc
        if resp.ok:
            return resp.json() if resp.content else None
        raise _error_from_response(resp)


def _error_from_response(resp: requests.Response) -> KamldError:
    """A KamldError from a google.rpc.Status body, or a best effort from the HTTP status."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    err = KamldError.from_status_json(body, http_status=resp.status_code)
    if err is not None:
        return err
    text = resp.text.strip()[:500] or resp.reason
    return KamldError(
        grpc_code_from_http(resp.status_code),
        f"HTTP {resp.status_code} from {resp.url}: {text}",
        http_status=resp.status_code,
    )

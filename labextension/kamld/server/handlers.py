"""Jupyter-authenticated routes: the streaming proxy to the sidecar and the status the panel polls."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote_plus

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import httputil, web
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.iostream import StreamClosedError
from tornado.simple_httpclient import HTTPTimeoutError

from ..identity import USER_HEADER, user_header_value
from .config import AUTH_HUB
from .people import acting_account, display_name
from .sidecar import Sidecar, SidecarUnavailable
from .tracing import proxy_span

API_PREFIX = "kamld/api/"

# Request headers passed on to the sidecar: an allowlist, because a denylist cannot be complete.
# grpc-gateway turns `Grpc-Metadata-*` (and other headers) into gRPC metadata, so a forwarded
# `Grpc-Metadata-X-Kamld-User` would let a browser speak for someone else. Never forwarded either: the
# browser's Cookie/Authorization (the sidecar gets our bearer token), XSRF tokens, a client-chosen
# X-Kamld-User (we set it from the Jupyter user), hop-by-hop headers, and Accept-Encoding (compression
# between two processes on one machine only costs CPU; without it bodies pass through byte for byte).
# Content-Length is set separately, only when there is a body.
FORWARDED_REQUEST_HEADERS = (
    "Accept",
    "Accept-Language",
    "Cache-Control",
    "Content-Type",
    "Content-Disposition",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "If-Range",
    "Range",
    "X-Request-Id",
    # W3C trace context: the sidecar's spans join the browser's trace (docs/observability.md).
    "traceparent",
    "tracestate",
)

# Response headers the browser needs; everything else (Set-Cookie, server details) stays behind.
COPIED_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Length",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Content-Range",
    "Accept-Ranges",
    "Content-Disposition",
    "X-Request-Id",
    "X-Kamld-Query",  # the query's name on an Arrow result (docs/arrow.md)
    "Location",
    "Retry-After",
)

# Query arguments Jupyter reads as credentials; never passed on.
JUPYTER_QUERY_ARGS = frozenset({"token", "_xsrf"})

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
UNAVAILABLE = 14
DEADLINE_EXCEEDED = 4
# Effectively "no limit" for tornado, which treats 0 as "use the 20 s default" in some places.
NO_TIMEOUT = 10.0 * 365 * 24 * 3600


def status_json(code: int, message: str) -> str:
    """A google.rpc.Status body, the shape every kamld error has."""
    return json.dumps({"code": code, "message": message, "details": []})


class KamldHandler(APIHandler):
    """Base: access to the sidecar; APIHandler gives JSON errors, origin and XSRF checks."""

    sidecar: Sidecar

    def initialize(self, sidecar: Sidecar) -> None:
        self.sidecar = sidecar

    def compute_etag(self) -> str | None:
        # Tornado would hash our bodies and answer 304 itself; ETags are the sidecar's business.
        return None

    def json_object(self) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty); 400 when it is anything else."""
        try:
            request = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the body must be JSON") from None
        if not isinstance(request, dict):
            raise web.HTTPError(400, "the body must be a JSON object")
        return request


class StatusHandler(KamldHandler):
    """GET {base_url}kamld/status: mode, state and versions for the panel (never the token)."""

    @web.authenticated
    async def get(self) -> None:
        await self.sidecar.refresh()
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.sidecar.status()))


class WhoAmIHandler(KamldHandler):
    """GET {base_url}kamld/whoami: the account the panel acts as and the name to show it by."""

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {
                    "account": acting_account(self.current_user, self.identity_provider),
                    "displayName": display_name(self.current_user, self.identity_provider),
                }
            )
        )


@web.stream_request_body
class ProxyHandler(KamldHandler):
    """{base_url}kamld/api/<path> -> {sidecar}/<path>, streaming both ways.

    Request flow with @stream_request_body: prepare() (auth, XSRF, start the upstream request) ->
    data_received() per body chunk (fed to the upstream through a small queue, so a slow sidecar slows
    the browser instead of filling memory) -> get()/post()/... (end of body; wait for the response,
    which is written chunk by chunk as it arrives, awaiting each flush for the same reason).
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    _queue: asyncio.Queue[bytes | None]  # None ends the body
    _upstream: asyncio.Future[None] | None = None
    _upstream_closed = False
    _has_body = False
    _response_head: httputil.ResponseStartLine | None = None
    _response_headers: httputil.HTTPHeaders
    _response_started = False
    _endpoint_auth = ""

    # JupyterHandler.prepare takes a private `_redirect_to_login` keyword that an API handler never uses.
    async def prepare(self) -> None:  # type: ignore[override]
        # Identity, host/origin and XSRF checks (XSRF for every method but GET/HEAD/OPTIONS).
        await super().prepare()
        if self._finished:
            return
        if self.request.method == "OPTIONS":
            return  # CORS preflight: answered by APIHandler.options, never forwarded
        # With a streamed body, get()/post() run only after the whole body arrived; the user must be
        # known before the first byte is sent anywhere, so the authenticated check runs here too.
        self._require_user()
        try:
            endpoint = self.sidecar.require_endpoint()
        except SidecarUnavailable as exc:
            self._write_status(503, UNAVAILABLE, f"kamld sidecar is not running: {exc}")
            return
        self._has_body = _request_has_body(self.request.headers)
        self._queue = asyncio.Queue(maxsize=4)
        self._response_headers = httputil.HTTPHeaders()
        self._endpoint_auth = endpoint.auth
        self._upstream = asyncio.ensure_future(self._forward(endpoint.url, endpoint.token))

    @web.authenticated
    def _require_user(self) -> None:
        """Tornado's @authenticated check (403 for API handlers) as a callable."""

    async def data_received(self, chunk: bytes) -> None:
        if self._upstream is None or self._upstream_closed:
            return  # nowhere to send it: the response is (being) written already
        await self._queue.put(chunk)

    @web.authenticated
    async def get(self, path: str) -> None:
        await self._complete()

    @web.authenticated
    async def head(self, path: str) -> None:
        await self._complete()

    @web.authenticated
    async def post(self, path: str) -> None:
        await self._complete()

    @web.authenticated
    async def put(self, path: str) -> None:
        await self._complete()

    @web.authenticated
    async def patch(self, path: str) -> None:
        await self._complete()

    @web.authenticated
    async def delete(self, path: str) -> None:
        await self._complete()

    def on_connection_close(self) -> None:
        # The browser went away: stop feeding (and reading from) the sidecar.
        upstream = self._upstream
        if upstream is not None and not upstream.done():
            upstream.cancel()

    # -- forwarding --------------------------------------------------------------------------------------

    async def _complete(self) -> None:
        """The request body is complete: signal its end and wait for the response to be relayed."""
        if self._upstream is None:
            return
        if self._has_body and not self._upstream_closed:
            await self._queue.put(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._upstream

    def _upstream_url(self, base: str) -> str:
        # The raw (still percent-encoded) path: decoding would turn an escaped "/" inside a resource
        # name into a path separator.
        prefix = url_path_join(self.base_url, API_PREFIX)
        raw = self.request.path
        path = (
            raw[len(prefix) :]
            if raw.startswith(prefix)
            else quote(self.path_args[0] if self.path_args else "")
        )
        url = f"{base}/{path}"
        query = _without_jupyter_credentials(self.request.query)
        return f"{url}?{query}" if query else url

    def _upstream_headers(self, token: str) -> httputil.HTTPHeaders:
        headers = httputil.HTTPHeaders()
        for name in FORWARDED_REQUEST_HEADERS:
            for value in self.request.headers.get_list(name):
                headers.add(name, value)
        if self._has_body and "Content-Length" in self.request.headers:
            headers["Content-Length"] = self.request.headers["Content-Length"]
        if self.request.method in BODY_METHODS and "Content-Type" not in headers:
            # Tornado's client would default to a form type, which grpc-gateway reads as "GET with
            # parameters in the body". The API speaks JSON.
            headers["Content-Type"] = "application/json"
        headers["Authorization"] = f"Bearer {token}"
        if self._endpoint_auth != AUTH_HUB:
            # A single-user kamld trusts its token holder to name the user. A shared one takes the
            # user from the Hub token alone and refuses the header.
            headers[USER_HEADER] = user_header_value(self._username())
        return headers

    def _username(self) -> str:
        return acting_account(self.current_user, self.identity_provider)

    async def _forward(self, base: str, token: str) -> None:
        try:
            await self._relay(base, token)
        finally:
            # The sidecar has answered (or failed): body chunks still arriving from the browser have
            # nowhere to go. Release a data_received() blocked on the full queue, or tornado would
            # never finish reading this request and the connection would hang.
            self._upstream_closed = True
            self._drain_queue()

    async def _relay(self, base: str, token: str) -> None:
        method = self.request.method or "GET"
        headers = self._upstream_headers(token)
        incoming = {k.lower(): v for k, v in self.request.headers.items()}
        with proxy_span(method, incoming, headers):
            await self._relay_with(base, method, headers)

    async def _relay_with(self, base: str, method: str, headers: httputil.HTTPHeaders) -> None:
        request = HTTPRequest(
            self._upstream_url(base),
            method=method,
            headers=headers,
            body=b"" if method in BODY_METHODS and not self._has_body else None,
            # tornado awaits what the producer and its write return; its stubs still say plain callables.
            body_producer=self._produce_body if self._has_body else None,  # type: ignore[arg-type]
            allow_nonstandard_methods=True,
            # With a body, wait for the sidecar's "100 Continue" before sending it: a request it rejects
            # up front (401, 404, 405, 413) gets its real answer instead of a connection closed
            # mid-upload, and a rejected upload is not pushed through for nothing.
            expect_100_continue=self._has_body,
            follow_redirects=False,
            decompress_response=False,
            header_callback=self._on_header_line,
            streaming_callback=self._on_chunk,
            connect_timeout=self.sidecar.config.proxy_connect_timeout,
            request_timeout=self.sidecar.config.proxy_request_timeout or NO_TIMEOUT,
        )
        try:
            response = await self.sidecar.http.fetch(request, raise_error=False)
        except asyncio.CancelledError:
            self._abort("the browser closed the connection")
            raise
        except HTTPTimeoutError as exc:
            if "connecting" in str(exc):
                self._fail(503, UNAVAILABLE, f"kamld sidecar is not reachable: {exc}")
            else:
                self._fail(504, DEADLINE_EXCEEDED, f"kamld sidecar did not answer in time: {exc}")
            return
        except HTTPClientError as exc:
            self._fail(503, UNAVAILABLE, f"kamld sidecar is not running: {exc}")
            return
        except StreamClosedError as exc:
            self._fail(
                503,
                UNAVAILABLE,
                f"kamld sidecar closed the connection before answering: {exc.real_error or exc}",
            )
            return
        except OSError as exc:
            self._fail(503, UNAVAILABLE, f"kamld sidecar is not running: {exc.strerror or exc}")
            return
        if not self._response_started:
            # No header callback happened (cannot with simple_httpclient, but be safe): relay as is.
            self._response_head = httputil.ResponseStartLine("HTTP/1.1", response.code, response.reason)
            self._response_headers = response.headers
            self._start_response()
            if response.body:
                self.write(response.body)
        if not self._finished:
            self.finish(set_content_type=self._response_headers.get("Content-Type", "application/json"))

    async def _produce_body(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                return
            await write(chunk)

    def _on_header_line(self, line: str) -> None:
        if line.startswith("HTTP/"):
            # A new response head; an interim 1xx head may come before the real one.
            self._response_head = httputil.parse_response_start_line(line.strip())
            self._response_headers = httputil.HTTPHeaders()
        elif line.strip():
            self._response_headers.parse_line(line)
        elif self._response_head is not None and self._response_head.code >= 200:
            self._start_response()

    def _start_response(self) -> None:
        assert self._response_head is not None
        self.set_status(self._response_head.code, self._response_head.reason or None)
        # Tornado sets these on every response; the sidecar's own values (or none) are what count.
        self.clear_header("Content-Type")
        for name in COPIED_RESPONSE_HEADERS:
            value = self._response_headers.get(name)
            if value is None:
                continue
            if name == "Content-Length" and (
                self.request.method == "HEAD" or self._response_head.code in (204, 304)
            ):
                continue
            self.set_header(name, value)
        self._response_started = True

    async def _on_chunk(self, chunk: bytes) -> None:
        if self._finished:
            # The browser went away (tornado finished the response): tornado's client cannot be told to stop
            # reading, and an exception here is logged as uncaught, so the rest of the answer is dropped.
            return
        if not self._response_started:
            self._start_response()
        self.write(chunk)
        # Awaiting the flush is the back-pressure: the next chunk is read from the sidecar only once
        # this one is on its way to the browser.
        await self.flush()

    def _fail(self, http_status: int, code: int, message: str) -> None:
        """Report an upstream failure: as JSON if nothing was sent yet, else by cutting the response."""
        self._drain_queue()
        if self._finished:
            return
        if self._headers_written:
            self.log.warning("kamld | proxied response cut short: %s", message)
            self._abort(message)
            return
        self.clear()
        self._write_status(http_status, code, message)

    def _abort(self, why: str) -> None:
        self._drain_queue()
        self.log.info("kamld | %s %s aborted: %s", self.request.method, self.request.path, why)
        if self.request.connection is not None and not self._finished:
            with contextlib.suppress(Exception):
                self.request.connection.close()  # type: ignore[attr-defined]

    def _drain_queue(self) -> None:
        # Unblock a data_received() waiting on a full queue nobody will read any more.
        with contextlib.suppress(AttributeError):
            while not self._queue.empty():
                self._queue.get_nowait()

    def _write_status(self, http_status: int, code: int, message: str) -> None:
        self.set_status(http_status)
        self.set_header("Cache-Control", "no-store")
        self.finish(status_json(code, message))


def _without_jupyter_credentials(query: str) -> str:
    """The raw query string minus Jupyter's own `token` and `_xsrf` arguments, the rest untouched.

    Jupyter accepts its token (and XSRF token) as query arguments; they are Jupyter's credentials and stay
    here. Everything else keeps its encoding and order.
    """
    if not query:
        return query
    parts = query.split("&")
    return "&".join(p for p in parts if unquote_plus(p.split("=", 1)[0]) not in JUPYTER_QUERY_ARGS)


def _request_has_body(headers: httputil.HTTPHeaders) -> bool:
    if "Transfer-Encoding" in headers:
        return True
    try:
        return int(headers.get("Content-Length", "0")) > 0
    except ValueError:
        return False


def setup_handlers(web_app: Any, sidecar: Sidecar) -> None:
    """Register the routes under the server's base_url."""
    base_url = web_app.settings["base_url"]
    kwargs = {"sidecar": sidecar}
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "kamld/status"), StatusHandler, kwargs),
            (url_path_join(base_url, "kamld/whoami"), WhoAmIHandler, kwargs),
            (url_path_join(base_url, API_PREFIX, "(.*)"), ProxyHandler, kwargs),
        ],
    )

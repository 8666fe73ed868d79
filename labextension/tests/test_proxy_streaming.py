"""The proxy against a scripted upstream: header hygiene and bodies streamed, not buffered, both ways.

The real sidecar cannot yet hold a response half-sent or report the headers it received, so these tests
point the extension (external mode) at a small tornado app in the test's own event loop. Every other
suite talks to the real `kamld` binary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .conftest import JUPYTER_USER, Fetch, RawFetch, fetch_json, wait_for_status

UPSTREAM_TOKEN = "upstream-test-token-0123456789"
CHUNK = 64 * 1024


class Upstream:
    """What the scripted sidecar saw, and the switches the tests flip."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release_download = asyncio.Event()
        self.upload_started = asyncio.Event()
        self.upload_chunks: list[int] = []


class InfoHandler(web.RequestHandler):
    def get(self) -> None:
        self.write({"version": "0.1.0", "identity": self.request.headers.get("X-Kamld-User")})


class EchoHandler(web.RequestHandler):
    """Records the request as received and answers like a ranged download would."""

    def initialize(self, upstream: Upstream) -> None:
        self.upstream = upstream

    def get(self, _path: str) -> None:
        self.upstream.requests.append(
            {
                "headers": [(k.lower(), v) for k, v in self.request.headers.get_all()],
                "query": parse_qs(self.request.query, keep_blank_values=True),
                "path": self.request.path,
            }
        )
        self.set_status(206)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("ETag", '"v1"')
        self.set_header("Content-Range", "bytes 0-9/100")
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("X-Request-Id", "req-123")
        self.set_header("Set-Cookie", "sidecar=evil; Path=/")
        self.set_header("Grpc-Metadata-Internal", "secret")
        self.finish(b"0123456789")


class DownloadHandler(web.RequestHandler):
    """Sends one chunk, then holds the response open until the test saw that chunk arrive."""

    def initialize(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def get(self) -> None:
        self.set_header("Content-Type", "application/octet-stream")
        self.write(b"a" * CHUNK)
        await self.flush()
        await self.upstream.release_download.wait()
        self.write(b"b" * CHUNK)
        self.finish()


@web.stream_request_body
class UploadHandler(web.RequestHandler):
    """Signals the first body chunk as soon as it arrives; answers the byte count at the end."""

    def initialize(self, upstream: Upstream) -> None:
        self.upstream = upstream

    def data_received(self, chunk: bytes) -> None:
        self.upstream.upload_chunks.append(len(chunk))
        self.upstream.upload_started.set()

    def put(self) -> None:
        self.write({"bytes": sum(self.upstream.upload_chunks)})


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    app = web.Application(
        [
            (r"/v1/system/info", InfoHandler),
            (r"/v1/echo/(.*)", EchoHandler, {"upstream": state}),
            (r"/v1/download", DownloadHandler, {"upstream": state}),
            (r"/v1/upload", UploadHandler, {"upstream": state}),
        ]
    )
    server = HTTPServer(app)
    sockets = bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    yield state, f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def kamld_config(upstream: tuple[Upstream, str]) -> dict[str, Any]:
    return {"mode": "external", "url": upstream[1], "token": UPSTREAM_TOKEN}


async def _ready(jp_fetch: Fetch) -> None:
    await wait_for_status(jp_fetch, lambda s: s["sidecarVersion"] == "0.1.0")


async def test_only_safe_headers_cross_the_proxy(
    jp_fetch: Fetch, raw_fetch: RawFetch, upstream: tuple[Upstream, str], jp_serverapp: Any
) -> None:
    state, _ = upstream
    await _ready(jp_fetch)
    jupyter_token = jp_serverapp.identity_provider.token
    query = urlencode({"page_size": "2", "token": jupyter_token, "_xsrf": "x"})
    response = await raw_fetch(
        f"kamld/api/v1/echo/datasets/a%2Fb?{query}",
        headers={
            "Authorization": f"token {jupyter_token}",
            "Cookie": "_xsrf=x; username-other=secret",
            "X-XSRFToken": "x",
            "X-Kamld-User": "mallory",
            "Grpc-Metadata-X-Kamld-User": "mallory",
            "Range": "bytes=0-9",
            "If-None-Match": '"v0"',
            "Accept": "application/octet-stream",
            "Connection": "X-Hop",
            "X-Hop": "1",
            "Forwarded": "for=evil",
        },
    )
    seen = state.requests[-1]
    headers = dict(seen["headers"])
    names = [name for name, _ in seen["headers"]]

    # What the sidecar needs, with our credentials and identity.
    assert headers["authorization"] == f"Bearer {UPSTREAM_TOKEN}"
    assert names.count("authorization") == 1
    assert headers["x-kamld-user"] == JUPYTER_USER
    assert names.count("x-kamld-user") == 1
    assert headers["range"] == "bytes=0-9"
    assert headers["if-none-match"] == '"v0"'
    assert headers["accept"] == "application/octet-stream"
    # Never the browser's cookies, XSRF token, hop-by-hop or identity headers.
    assert "cookie" not in headers
    assert "x-xsrftoken" not in headers
    assert "x-hop" not in headers
    assert "forwarded" not in headers
    assert not [n for n in names if n.startswith("grpc-metadata-")]
    # The path reaches the sidecar still percent-encoded; the query keeps the API's arguments only.
    assert seen["path"] == "/v1/echo/datasets/a%2Fb"
    assert seen["query"] == {"page_size": ["2"]}

    # The response: status, body and the headers a download needs; not the sidecar's cookies.
    assert response.code == 206
    assert response.body == b"0123456789"
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Content-Range"] == "bytes 0-9/100"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Request-Id"] == "req-123"
    assert "sidecar=evil" not in response.headers.get_list("Set-Cookie")
    assert "Grpc-Metadata-Internal" not in response.headers


async def test_downloads_are_streamed(jp_fetch: Fetch, upstream: tuple[Upstream, str]) -> None:
    state, _ = upstream
    await _ready(jp_fetch)
    received: list[int] = []

    def on_chunk(chunk: bytes) -> None:
        received.append(len(chunk))
        # The upstream finishes only once the first part has reached the browser: a proxy that buffers
        # whole bodies would wait forever here (and the test time out).
        state.release_download.set()

    response = await asyncio.wait_for(
        jp_fetch("kamld", "api", "v1", "download", streaming_callback=on_chunk), timeout=15
    )
    assert response.code == 200
    assert sum(received) == 2 * CHUNK


async def test_a_browser_leaving_mid_download_leaves_no_error(
    jp_fetch: Fetch, upstream: tuple[Upstream, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A closed page ends the panel's long polls this way: the rest of the answer is dropped quietly."""
    state, _ = upstream
    await _ready(jp_fetch)

    def leave(_chunk: bytes) -> None:
        raise ConnectionAbortedError("the browser leaves")

    with contextlib.suppress(Exception):
        await asyncio.wait_for(
            jp_fetch("kamld", "api", "v1", "download", streaming_callback=leave), timeout=15
        )
    await asyncio.sleep(0.3)  # the proxy sees the browser's connection close
    state.release_download.set()  # and then the sidecar's next chunk arrives
    await asyncio.sleep(0.5)
    # The test's own client logs the exception it left with; anything else is the proxy's.
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and not (r.exc_info and r.exc_info[0] is ConnectionAbortedError)
    ]
    assert not errors, [f"{r.getMessage()}: {r.exc_info and r.exc_info[1]}" for r in errors]


async def test_uploads_are_streamed(jp_fetch: Fetch, upstream: tuple[Upstream, str]) -> None:
    state, _ = upstream
    await _ready(jp_fetch)
    sent = 0

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        nonlocal sent
        await write(b"x" * CHUNK)
        sent += CHUNK
        # The rest is sent only once the upstream saw the first part: a proxy that buffers the whole
        # request body before forwarding it would wait forever here.
        await asyncio.wait_for(state.upload_started.wait(), timeout=10)
        for _ in range(7):
            await write(b"y" * CHUNK)
            sent += CHUNK

    response, body = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "upload",
        method="PUT",
        body_producer=produce,
        headers={"Content-Type": "application/octet-stream"},
        request_timeout=30,
    )
    assert response.code == 200, response.body
    assert body == {"bytes": 8 * CHUNK}
    assert sent == 8 * CHUNK
    assert len(state.upload_chunks) > 1


async def test_upload_with_content_length_is_streamed(
    jp_fetch: Fetch, upstream: tuple[Upstream, str]
) -> None:
    state, _ = upstream
    await _ready(jp_fetch)
    total = 4 * CHUNK

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(b"x" * CHUNK)
        await asyncio.wait_for(state.upload_started.wait(), timeout=10)
        await write(b"y" * (total - CHUNK))

    response = await jp_fetch(
        "kamld",
        "api",
        "v1",
        "upload",
        method="PUT",
        body_producer=produce,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(total)},
        request_timeout=30,
    )
    assert json.loads(response.body) == {"bytes": total}

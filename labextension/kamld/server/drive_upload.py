"""{base_url}kamld/drive/uploads: chunked uploads of JupyterLab's kamld drive, assembled and verified here.

JupyterLab's file browser sends a big file as a sequence of saves of about 1 MiB each, numbered 1, 2, … and -1
for the last (docs/drive.md). Writing each chunk to the draft would replace the file with every chunk, so the
drive opens an upload session instead:

    POST   .../kamld/drive/uploads                      {"dataset": "iris", "path": "big.bin"} -> {"id": …}
    PUT    .../kamld/drive/uploads/{id}?chunk=N&offset=O  the chunk's raw bytes -> {"size": bytes so far}
    DELETE .../kamld/drive/uploads/{id}                 abandon the session

Chunks are appended to a private staging file in order: a chunk whose number or offset is not the next one is
refused with 409 and changes nothing, so no chunk ever overwrites another. Chunk -1 appends the last bytes and
streams the whole file to the sidecar's raw upload route with the sha256 digest and size computed here as
`expected_digest`: the sidecar stores it only if what it received is exactly what was assembled. The answer
is then the sidecar's FileInfo, or its error as it sent it. Sessions belong to the Jupyter user who opened
them and are removed when they end or after an hour without a chunk.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import HTTPRequest

from ..identity import USER_HEADER, user_header_value
from ..refs import validate_path
from .handlers import NO_TIMEOUT, UNAVAILABLE, KamldHandler, ProxyHandler, status_json
from .sidecar import Sidecar, SidecarUnavailable

IDLE_SECONDS = 3600
MAX_SESSIONS = 64
READ_SIZE = 256 * 1024
LAST_CHUNK = -1
ABORTED = 10


@dataclass
class UploadSession:
    """One chunked upload: where it goes, who opened it, and what has arrived so far."""

    dataset: str
    path: str
    user: str
    staging: Path
    next_chunk: int = 1
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    touched: float = field(default_factory=time.monotonic)

    def append(self, chunk: int, offset: int, data: bytes) -> None:
        """Append `data` as chunk `chunk` at byte `offset`; ValueError, nothing written, when out of order."""
        if chunk not in (LAST_CHUNK, self.next_chunk):
            raise ValueError(
                f"chunk {chunk} arrived where chunk {self.next_chunk} (or -1, the last) was expected"
            )
        if offset != self.size:
            raise ValueError(f"chunk {chunk} starts at byte {offset}, but {self.size} bytes have arrived")
        with self.staging.open("ab") as f:
            f.write(data)
        self.digest.update(data)
        self.size += len(data)
        self.next_chunk += 1
        self.touched = time.monotonic()


class UploadSessions:
    """The open sessions of this Jupyter server, staged in a private temporary folder."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="kamld-drive-uploads-"))
        self._sessions: dict[str, UploadSession] = {}

    def open(self, dataset: str, path: str, user: str) -> str:
        self._expire()
        if len(self._sessions) >= MAX_SESSIONS:
            raise ValueError(f"{MAX_SESSIONS} uploads are open already; finish or cancel one first")
        sid = secrets.token_urlsafe(18)
        staging = self._dir / sid
        staging.touch(mode=0o600)
        self._sessions[sid] = UploadSession(dataset=dataset, path=path, user=user, staging=staging)
        return sid

    def get(self, sid: str, user: str) -> UploadSession | None:
        """The session `sid` if `user` opened it (another user's session is as unknown as a missing one)."""
        session = self._sessions.get(sid)
        return session if session is not None and session.user == user else None

    def close(self, sid: str) -> None:
        session = self._sessions.pop(sid, None)
        if session is not None:
            session.staging.unlink(missing_ok=True)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid, session in list(self._sessions.items()):
            if now - session.touched > IDLE_SECONDS:
                self.close(sid)

    def remove_all(self) -> None:
        self._sessions.clear()
        shutil.rmtree(self._dir, ignore_errors=True)


class _DriveUploadHandler(KamldHandler):
    def initialize(self, sidecar: Sidecar, sessions: UploadSessions) -> None:  # type: ignore[override]
        super().initialize(sidecar)
        self.sessions = sessions

    def _user(self) -> str:
        return ProxyHandler._username(self)  # type: ignore[arg-type]  # the same identity the proxy sends

    def _refuse(self, http_status: int, code: int, message: str) -> None:
        self.set_status(http_status)
        self.set_header("Content-Type", "application/json")
        self.finish(status_json(code, message))


class UploadsHandler(_DriveUploadHandler):
    """POST: open a session for a file of a dataset's draft."""

    @web.authenticated
    async def post(self) -> None:
        request = self.json_object()
        dataset = request.get("dataset")
        path = request.get("path")
        if not isinstance(dataset, str) or not dataset or "/" in dataset:
            raise web.HTTPError(400, 'dataset must be a dataset id, or "id@branch" for a branch\'s draft')
        if not isinstance(path, str):
            raise web.HTTPError(400, "path must be the file's path in the draft")
        try:
            validate_path(path)
            sid = self.sessions.open(dataset, path, self._user())
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.set_status(201)
        self.finish({"id": sid})


class UploadHandler(_DriveUploadHandler):
    """PUT a chunk (the last one commits the file); DELETE abandons the session."""

    @web.authenticated
    async def put(self, sid: str) -> None:
        session = self.sessions.get(sid, self._user())
        if session is None:
            raise web.HTTPError(404, "no such upload; it finished, was cancelled or expired — upload again")
        try:
            chunk = int(self.get_query_argument("chunk"))
            offset = int(self.get_query_argument("offset"))
        except ValueError:
            raise web.HTTPError(400, "chunk and offset must be integers") from None
        try:
            session.append(chunk, offset, self.request.body)
        except ValueError as exc:
            self._refuse(409, ABORTED, str(exc))
            return
        if chunk != LAST_CHUNK:
            self.finish({"size": session.size})
            return
        try:
            await self._commit(session)
        finally:
            self.sessions.close(sid)

    @web.authenticated
    async def delete(self, sid: str) -> None:
        if self.sessions.get(sid, self._user()) is None:
            raise web.HTTPError(404, "no such upload")
        self.sessions.close(sid)
        self.set_status(204)
        self.finish()

    async def _commit(self, session: UploadSession) -> None:
        """Stream the assembled file to the sidecar, which checks it against the digest computed here."""
        try:
            endpoint = self.sidecar.require_endpoint()
        except SidecarUnavailable as exc:
            self._refuse(503, UNAVAILABLE, f"kamld sidecar is not running: {exc}")
            return
        digest = "sha256:" + session.digest.hexdigest()

        async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
            with session.staging.open("rb") as f:
                while block := f.read(READ_SIZE):
                    await write(block)

        url = (
            f"{endpoint.url}/v1/datasets/{quote(session.dataset, safe='@')}/content/"
            f"{quote(session.path, safe='/')}?expected_digest={quote(digest)}"
        )
        request = HTTPRequest(
            url,
            method="PUT",
            headers={
                "Authorization": f"Bearer {endpoint.token}",
                USER_HEADER: user_header_value(self._user()),
                "Content-Type": "application/octet-stream",
                "Content-Length": str(os.stat(session.staging).st_size),
            },
            body_producer=produce,  # type: ignore[arg-type]  # tornado awaits it; its stubs say otherwise
            follow_redirects=False,
            connect_timeout=self.sidecar.config.proxy_connect_timeout,
            request_timeout=self.sidecar.config.proxy_request_timeout or NO_TIMEOUT,
        )
        try:
            response = await self.sidecar.http.fetch(request, raise_error=False)
        except Exception as exc:  # the sidecar went away mid-upload
            self._refuse(503, UNAVAILABLE, f"kamld sidecar did not answer: {exc}")
            return
        self.set_status(response.code)
        self.set_header("Content-Type", "application/json")
        self.finish(response.body or b"{}")


def setup_drive_upload(web_app: Any, sidecar: Sidecar) -> UploadSessions:
    """Register {base_url}kamld/drive/uploads[/{id}]; the caller removes the staging folder at shutdown."""
    sessions = UploadSessions()
    base = url_path_join(web_app.settings["base_url"], "kamld/drive/uploads")
    args = {"sidecar": sidecar, "sessions": sessions}
    web_app.add_handlers(
        ".*$",
        [(base, UploadsHandler, args), (base + r"/([A-Za-z0-9_-]+)", UploadHandler, args)],
    )
    return sessions

"""POST {base_url}kamld/workspace-upload: copy workspace files into a dataset's draft, server side.

The browser names files and folders relative to the Jupyter contents root; each file is streamed from disk
to the sidecar's raw upload route (PUT /v1/datasets/{d}/content/{path}) and the progress is answered as
newline-delimited JSON, one line per event, flushed as it goes:

    {"path": "data/a.csv", "sent": 65536, "size": 120000}
    {"path": "data/a.csv", "done": true, "file": {...FileInfo}}
    {"path": "data/b.csv", "error": {"code": 5, "message": "..."}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import HTTPRequest

from ..identity import USER_HEADER, user_header_value
from .handlers import NO_TIMEOUT, UNAVAILABLE, KamldHandler, ProxyHandler, status_json
from .sidecar import Sidecar, SidecarUnavailable

CHUNK_SIZE = 256 * 1024
INVALID_ARGUMENT = 3
INTERNAL = 13


class BadPath(ValueError):
    """A requested path is not a file or folder inside the contents root."""


def resolve_in_root(root: Path, relative: str) -> Path:
    """`relative` (a workspace path, "/"-separated) inside `root`, symlinks resolved; BadPath otherwise."""
    if not isinstance(relative, str) or not relative.strip("/"):
        raise BadPath(f"not a workspace path: {relative!r}")
    parts = PurePosixPath(relative.strip("/")).parts
    if any(part in ("..", ".") for part in parts) or "\\" in relative or "\0" in relative:
        raise BadPath(f"path {relative!r} leaves the workspace")
    target = root.joinpath(*parts).resolve()
    if target != root and root not in target.parents:
        raise BadPath(f"path {relative!r} leaves the workspace")
    if not target.exists():
        raise BadPath(f"path {relative!r} does not exist")
    return target


def _walk(root: Path, target: Path, relative: str) -> Iterator[tuple[Path, str]]:
    """(absolute file, dataset-relative name) pairs for a file or, recursively, a folder's files."""
    if target.is_file():
        yield target, PurePosixPath(relative.strip("/")).name
        return
    base = PurePosixPath(relative.strip("/")).name
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(filenames):
            path = (here / name).resolve()
            if root not in path.parents or not path.is_file():
                continue  # a symlink out of the workspace, or not a regular file: skipped
            rel = (here / name).relative_to(target).as_posix()
            yield path, f"{base}/{rel}"


def collect_files(root_dir: str, paths: list[str]) -> list[tuple[Path, str]]:
    """Every file the request names, with its name in the dataset; BadPath for a path outside the root."""
    root = Path(root_dir).expanduser().resolve()
    files: list[tuple[Path, str]] = []
    for path in paths:
        files.extend(_walk(root, resolve_in_root(root, path), path))
    return files


class WorkspaceUploadHandler(KamldHandler):
    """Streams workspace files to the sidecar's raw upload route and reports NDJSON progress."""

    @web.authenticated
    async def post(self) -> None:
        request = self.json_object()
        paths = request.get("paths")
        dataset = request.get("dataset")
        prefix = request.get("prefix", "")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise web.HTTPError(400, "paths must be a non-empty list of workspace paths")
        if not isinstance(dataset, str) or not dataset:
            raise web.HTTPError(400, "dataset must be a dataset id")
        if not isinstance(prefix, str) or ".." in PurePosixPath(prefix).parts:
            raise web.HTTPError(400, "prefix must be a folder inside the dataset")
        prefix = prefix.strip("/")
        root_dir = getattr(self.contents_manager, "root_dir", None) or self.settings["server_root_dir"]
        try:
            files = collect_files(root_dir, paths)
        except BadPath as exc:
            raise web.HTTPError(400, str(exc)) from None
        try:
            endpoint = self.sidecar.require_endpoint()
        except SidecarUnavailable as exc:
            self.set_status(503)
            self.finish(status_json(UNAVAILABLE, f"kamld sidecar is not running: {exc}"))
            return

        self.set_header("Content-Type", "application/x-ndjson")
        self.set_header("Cache-Control", "no-store")
        for source, name in files:
            target = f"{prefix}/{name}" if prefix else name
            await self._upload(endpoint.url, endpoint.token, dataset, source, target)
        self.finish()

    async def _line(self, event: dict[str, Any]) -> None:
        self.write(json.dumps(event) + "\n")
        await self.flush()

    async def _upload(self, base: str, token: str, dataset: str, source: Path, target: str) -> None:
        size = os.stat(source).st_size
        await self._line({"path": target, "sent": 0, "size": size})
        sent = 0

        async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
            nonlocal sent
            with source.open("rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    await write(chunk)
                    sent += len(chunk)
                    await self._line({"path": target, "sent": sent, "size": size})

        url = f"{base}/v1/datasets/{quote(dataset, safe='')}/content/{quote(target, safe='/')}"
        request = HTTPRequest(
            url,
            method="PUT",
            headers={
                "Authorization": f"Bearer {token}",
                USER_HEADER: user_header_value(ProxyHandler._username(self)),  # type: ignore[arg-type]
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
            },
            body_producer=produce,  # type: ignore[arg-type]  # tornado awaits it; its stubs say otherwise
            expect_100_continue=True,
            follow_redirects=False,
            connect_timeout=self.sidecar.config.proxy_connect_timeout,
            request_timeout=self.sidecar.config.proxy_request_timeout or NO_TIMEOUT,
        )
        try:
            response = await self.sidecar.http.fetch(request, raise_error=False)
        except Exception as exc:  # every failure becomes an error line
            await self._line({"path": target, "error": {"code": UNAVAILABLE, "message": str(exc)}})
            return
        try:
            body = json.loads(response.body or b"null")
        except ValueError:
            body = None
        if 200 <= response.code < 300:
            await self._line({"path": target, "done": True, "file": body})
            return
        if isinstance(body, dict) and isinstance(body.get("code"), int):
            error = {"code": body["code"], "message": str(body.get("message", ""))}
        else:
            error = {"code": INTERNAL, "message": f"HTTP {response.code} {response.reason}"}
        await self._line({"path": target, "error": error})


def setup_workspace_upload(web_app: Any, sidecar: Sidecar) -> None:
    """Register {base_url}kamld/workspace-upload."""
    web_app.add_handlers(
        ".*$",
        [
            (
                url_path_join(web_app.settings["base_url"], "kamld/workspace-upload"),
                WorkspaceUploadHandler,
                {"sidecar": sidecar},
            )
        ],
    )

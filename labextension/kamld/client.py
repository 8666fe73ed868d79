"""`kamld.Client`: the Python client kernels use to call the sidecar's REST API directly.

It finds the sidecar through `kamld.connection` (env or the connection file the server extension writes),
so a notebook needs no configuration. No jupyter_server import here: this runs inside kernels.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypedDict, cast
from urllib.parse import quote

import requests

from .connection import ConnectionInfo, find_connection
from .display import DatasetInfo, SnapshotInfo
from .errors import UNAUTHENTICATED, UNAVAILABLE, KamldError, error_for, grpc_code_from_http, invalid_argument
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


class Stats(TypedDict, total=False):
    """common.proto Stats; int64 fields arrive as JSON strings."""

    fileCount: str
    totalBytes: str
    rowCount: str


class Dataset(TypedDict, total=False):
    """DatasetService's Dataset as proto3 JSON."""

    name: str
    description: str
    tags: list[str]
    labels: dict[str, str]
    owner: str
    createTime: str
    updateTime: str
    stats: Stats
    tables: list[dict[str, Any]]
    headSnapshot: str
    snapshotCount: str
    hasDraftChanges: bool
    etag: str


class Snapshot(TypedDict, total=False):
    """SnapshotService's Snapshot as proto3 JSON."""

    name: str
    id: str
    sequence: str
    version: str
    parent: str
    message: str
    author: str
    createTime: str
    stats: Stats
    manifestRoot: str
    tags: list[str]
    tables: list[dict[str, Any]]


class FileInfo(TypedDict, total=False):
    """common.proto FileInfo as proto3 JSON."""

    path: str
    size: str
    digest: str
    mediaType: str
    modifyTime: str
    etag: str


class FileChange(TypedDict, total=False):
    """One difference of DiffSnapshots; `type` is CHANGE_TYPE_ADDED, _REMOVED or _MODIFIED."""

    path: str
    type: str
    to: FileInfo | None


class DiffStats(TypedDict, total=False):
    added: str
    removed: str
    modified: str
    bytesDelta: str


class Diff(TypedDict, total=False):
    """DiffSnapshots over all pages: every change, the totals and the resolved snapshot names."""

    changes: list[FileChange]
    stats: DiffStats
    fromSnapshot: str
    toSnapshot: str


class Tag(TypedDict, total=False):
    name: str
    snapshot: str
    author: str
    createTime: str


class Branch(TypedDict, total=False):
    name: str
    # The snapshot it was created at, and its head (resource names; "" before the first snapshot).
    head: str
    headVersion: str
    author: str
    createTime: str
    isDefault: bool


class MergeConflict(TypedDict, total=False):
    path: str
    # The file in the common ancestor, on the target (ours) and in the source (theirs); absent when missing.
    base: FileInfo
    ours: FileInfo
    theirs: FileInfo


class MergeResult(TypedDict, total=False):
    snapshot: Snapshot
    fastForward: bool
    upToDate: bool
    base: str
    stats: DiffStats
    resolved: list[MergeConflict]


class Highlight(TypedDict, total=False):
    field: str
    fragments: list[str]


class SearchResult(TypedDict, total=False):
    dataset: Dataset
    score: float
    highlights: list[Highlight]


class FacetValue(TypedDict, total=False):
    value: str
    count: str


class Facet(TypedDict, total=False):
    field: str
    values: list[FacetValue]


class SearchPage(TypedDict, total=False):
    results: list[SearchResult]
    facets: list[Facet]
    totalSize: str
    nextPageToken: str


class AccessGrant(TypedDict, total=False):
    kind: str  # "user" or "group"
    name: str
    role: str  # "reader", "writer" or "admin"


class DatasetAccess(TypedDict, total=False):
    name: str
    owner: str
    visibility: str  # "private", "internal" or "public"
    grants: list[AccessGrant]
    etag: str
    yourRole: str


# A job-scoped token (KAMLD_JOB_TOKEN) starts with this; see docs/security.md.
JOB_TOKEN_PREFIX = "kjt."  # noqa: S105 - a prefix, not a secret


def _ds(dataset_id: str) -> str:
    """The URL path of a dataset, or of a branch of it ("iris@exp": requests then act on that branch's draft
    and history); ids are DNS labels, quoting only guards against misuse."""
    return f"/v1/datasets/{quote(dataset_id, safe='@')}"


def _file_path(path: str) -> str:
    """A dataset file path for a URL: every segment percent-encoded, the '/' kept."""
    return quote(path, safe="/")


Body = bytes | IO[bytes] | Iterable[bytes]

_STRATEGIES = {
    "": "MERGE_STRATEGY_UNSPECIFIED",
    "ours": "MERGE_STRATEGY_OURS",
    "theirs": "MERGE_STRATEGY_THEIRS",
}


def _strategy(name: str) -> str:
    """The API's name of a merge strategy: "ours", "theirs" or "" (report conflicts)."""
    if name not in _STRATEGIES:
        raise invalid_argument(
            f"merge strategy {name!r}: use 'ours' (keep the target's) or 'theirs' (take the source's)"
        )
    return _STRATEGIES[name]


class Client:
    """A synchronous client of the kamld REST API.

    With no arguments it finds the sidecar like the magics and the panel do (see `kamld.connection`),
    and finds it again once if a call fails because the sidecar was restarted (new port, new token).
    Pass `url` and `token` to talk to a specific sidecar instead, and `auth="hub"` when the token is the
    user's own JupyterHub token for a shared kamld (no X-Kamld-User is sent then).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        user: str | None = None,
        auth: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if (url is None) != (token is None):
            raise invalid_argument("pass both url and token, or neither to find the sidecar automatically")
        self._discover = url is None
        self._conn = (
            ConnectionInfo(url=url.rstrip("/"), token=token, source="arguments", auth=auth)
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

    # DatasetService

    def create_dataset(
        self,
        dataset_id: str,
        *,
        description: str = "",
        tags: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
        owner: str = "",
        visibility: str = "",
    ) -> Dataset:
        """CreateDataset: an empty dataset (no snapshots, empty draft). ALREADY_EXISTS when taken.

        `visibility` is "private", "internal" (the default) or "public" (see docs/security.md)."""
        body: dict[str, Any] = {"description": description, "tags": list(tags), "labels": dict(labels or {})}
        if owner:
            body["owner"] = owner
        params = {"datasetId": dataset_id}
        if visibility:
            params["visibility"] = visibility
        return _dataset(self.request("POST", "/v1/datasets", params=params, json=body))

    def get_dataset(self, dataset_id: str) -> Dataset:
        return _dataset(self.request("GET", _ds(dataset_id)))

    def list_datasets(self, *, order_by: str = "", access: str = "") -> list[Dataset]:
        """ListDatasets, every page; `access` "mine" or "shared" keeps the datasets you own or that are
        shared with you."""
        params = {k: v for k, v in (("orderBy", order_by), ("access", access)) if v}
        return list(self._pages("/v1/datasets", "datasets", params))

    def audit_records(
        self,
        *,
        subject: str = "",
        dataset: str = "",
        method: str = "",
        outcome: str = "",
        start_time: str = "",
        end_time: str = "",
    ) -> list[dict[str, Any]]:
        """ListAuditRecords, every page, oldest first (platform admins only; times as RFC 3339)."""
        filters = {
            "subject": subject,
            "dataset": dataset,
            "method": method,
            "outcome": outcome,
            "startTime": start_time,
            "endTime": end_time,
        }
        return list(self._pages("/v1/audit/records", "records", {k: v for k, v in filters.items() if v}))

    # AccessService

    def get_access(self, dataset_id: str) -> DatasetAccess:
        """GetAccess: the dataset's policy (owner, visibility, grants), its etag and your role."""
        result: DatasetAccess = self.request("GET", _ds(dataset_id) + "/access")
        return result

    def set_access(
        self,
        dataset_id: str,
        *,
        visibility: str,
        grants: Iterable[AccessGrant] = (),
        owner: str = "",
        etag: str = "",
    ) -> DatasetAccess:
        """SetAccess: replace the dataset's policy (admins of the dataset only). With `etag`, ABORTED when
        the policy changed since it was read; an empty `owner` keeps the owner."""
        body: dict[str, Any] = {"visibility": visibility, "grants": [dict(g) for g in grants]}
        if owner:
            body["owner"] = owner
        if etag:
            body["etag"] = etag
        result: DatasetAccess = self.request("PUT", _ds(dataset_id) + "/access", json=body)
        return result

    def search_datasets(
        self,
        query: str = "",
        *,
        facets: Sequence[str] = (),
        order_by: str = "",
        page_size: int = 0,
        page_token: str = "",
        highlight: bool = False,
    ) -> SearchPage:
        """SearchDatasets, one page. The query syntax is documented on SearchService (search.proto)."""
        body: dict[str, Any] = {"query": query, "facets": list(facets), "highlight": highlight}
        if order_by:
            body["orderBy"] = order_by
        if page_size:
            body["pageSize"] = page_size
        if page_token:
            body["pageToken"] = page_token
        result: SearchPage = self.request("POST", "/v1/datasets:search", json=body) or SearchPage()
        return result

    def suggest_values(self, field: str, prefix: str = "", *, limit: int = 0) -> list[FacetValue]:
        """SuggestValues: values of "tag", "owner", "format", "label" (keys) or "column" with a prefix."""
        params: dict[str, Any] = {"field": field, "prefix": prefix}
        if limit:
            params["limit"] = limit
        result = self.request("GET", "/v1/datasets:suggest", params=params) or {}
        values: list[FacetValue] = result.get("values") or []
        return values

    def update_dataset(
        self,
        dataset_id: str,
        *,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        labels: Mapping[str, str] | None = None,
        owner: str | None = None,
    ) -> Dataset:
        """UpdateDataset: only the fields passed (not None) change."""
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if tags is not None:
            body["tags"] = list(tags)
        if labels is not None:
            body["labels"] = dict(labels)
        if owner is not None:
            body["owner"] = owner
        if not body:
            raise invalid_argument("update_dataset: pass at least one of description, tags, labels, owner")
        return _dataset(
            self.request("PATCH", _ds(dataset_id), params={"updateMask": ",".join(body)}, json=body)
        )

    def delete_dataset(self, dataset_id: str) -> None:
        self.request("DELETE", _ds(dataset_id))

    # SnapshotService

    def create_snapshot(self, dataset_id: str, message: str = "", *, allow_empty: bool = False) -> Snapshot:
        """CreateSnapshot: commit the draft. FAILED_PRECONDITION when nothing changed (unless allow_empty)."""
        body = {"message": message, "allowEmpty": allow_empty}
        return _snapshot(self.request("POST", f"{_ds(dataset_id)}/snapshots", json=body))

    def get_snapshot(self, dataset_id: str, ref: str) -> Snapshot:
        return _snapshot(self.request("GET", f"{_ds(dataset_id)}/snapshots/{quote(ref, safe='')}"))

    def list_snapshots(self, dataset_id: str) -> list[Snapshot]:
        """ListSnapshots, every page, newest first."""
        return list(self._pages(f"{_ds(dataset_id)}/snapshots", "snapshots", {}))

    def diff_snapshots(
        self, dataset_id: str, from_ref: str = "", to_ref: str = "", *, path_prefix: str = ""
    ) -> Diff:
        """DiffSnapshots over every page. Empty from_ref: the parent of to_ref; empty to_ref: the draft."""
        params = {"fromRef": from_ref, "toRef": to_ref, "pathPrefix": path_prefix}
        diff: Diff = {"changes": []}
        for page in self._raw_pages(f"{_ds(dataset_id)}:diff", params):
            diff["changes"].extend(page.get("changes") or [])
            for key in ("stats", "fromSnapshot", "toSnapshot"):
                if page.get(key) and key not in diff:
                    diff[key] = page[key]
        return diff

    def restore_snapshot(self, dataset_id: str, ref: str) -> DiffStats:
        """RestoreSnapshot: the draft becomes the snapshot's content; returns what changed in the draft."""
        result = self.request("POST", f"{_ds(dataset_id)}/snapshots/{quote(ref, safe='')}:restore", json={})
        changes: DiffStats = {}
        if isinstance(result, dict) and isinstance(result.get("changes"), dict):
            changes = result["changes"]
        return changes

    def create_tag(self, dataset_id: str, tag_id: str, snapshot: str, *, overwrite: bool = False) -> Tag:
        """CreateTag: `snapshot` is a snapshot name or any ref ("v2", an id prefix, another tag)."""
        params: dict[str, Any] = {"tagId": tag_id}
        if overwrite:
            params["overwrite"] = "true"
        result: Tag = self.request(
            "POST", f"{_ds(dataset_id)}/tags", params=params, json={"snapshot": snapshot}
        )
        return result

    def list_tags(self, dataset_id: str) -> list[Tag]:
        return list(self._pages(f"{_ds(dataset_id)}/tags", "tags", {}))

    def delete_tag(self, dataset_id: str, tag_id: str) -> None:
        self.request("DELETE", f"{_ds(dataset_id)}/tags/{quote(tag_id, safe='')}")

    # BranchService

    def create_branch(self, dataset_id: str, branch_id: str, *, from_ref: str = "") -> Branch:
        """CreateBranch at a snapshot (any ref naming one; "" = main's head). Nothing is copied."""
        result: Branch = self.request(
            "POST", f"{_ds(dataset_id)}/branches", params={"branchId": branch_id}, json={"from": from_ref}
        )
        return result

    def get_branch(self, dataset_id: str, branch_id: str) -> Branch:
        result: Branch = self.request("GET", f"{_ds(dataset_id)}/branches/{quote(branch_id, safe='')}")
        return result

    def list_branches(self, dataset_id: str) -> list[Branch]:
        return list(self._pages(f"{_ds(dataset_id)}/branches", "branches", {}))

    def delete_branch(self, dataset_id: str, branch_id: str) -> None:
        self.request("DELETE", f"{_ds(dataset_id)}/branches/{quote(branch_id, safe='')}")

    def rename_branch(self, dataset_id: str, branch_id: str, new_branch_id: str) -> Branch:
        result: Branch = self.request(
            "POST",
            f"{_ds(dataset_id)}/branches/{quote(branch_id, safe='')}:rename",
            json={"newBranchId": new_branch_id},
        )
        return result

    def merge_branch(
        self,
        dataset_id: str,
        source: str,
        target: str = "main",
        *,
        strategy: str = "",
        path_strategies: Mapping[str, str] | None = None,
        message: str = "",
    ) -> MergeResult:
        """MergeBranch `source` (a branch, tag or version) into branch `target`. Strategies are "ours" or
        "theirs". A conflict raises KamldError FAILED_PRECONDITION whose `conflicts` lists every path."""
        body: dict[str, Any] = {"source": source, "message": message, "strategy": _strategy(strategy)}
        if path_strategies:
            body["pathStrategies"] = {p: _strategy(s) for p, s in path_strategies.items()}
        result: MergeResult = self.request(
            "POST", f"{_ds(dataset_id)}/branches/{quote(target, safe='')}:merge", json=body
        )
        return result

    # FileService

    def list_files(
        self, dataset_id: str, *, ref: str = "", prefix: str = "", recursive: bool = True
    ) -> list[FileInfo]:
        """ListFiles, every page: the files at `ref` under `prefix` (all levels unless recursive=False)."""
        params = {"ref": ref, "prefix": prefix, "recursive": "true" if recursive else "false"}
        return list(self._pages(f"{_ds(dataset_id)}/files", "files", params))

    def stat_file(self, dataset_id: str, path: str, *, ref: str = "") -> FileInfo:
        result: FileInfo = self.request(
            "GET", f"{_ds(dataset_id)}/files/{_file_path(path)}", params={"ref": ref}
        )
        return result

    def delete_file(self, dataset_id: str, path: str, *, recursive: bool = False) -> None:
        """DeleteFile in the draft; recursive=True deletes a folder."""
        params = {"recursive": "true"} if recursive else {}
        self.request("DELETE", f"{_ds(dataset_id)}/files/{_file_path(path)}", params=params)

    def download(
        self, dataset_id: str, path: str, *, ref: str = "", offset: int = 0, length: int | None = None
    ) -> requests.Response:
        """GET .../content/{path}: the raw bytes, streamed (the caller reads and closes the response).

        `offset`/`length` become a Range header; the response is then 206 Partial Content.
        """
        headers = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            headers["Range"] = f"bytes={offset}-{end}"
        return self.send(
            "GET",
            f"{_ds(dataset_id)}/content/{_file_path(path)}",
            params={"ref": ref} if ref else None,
            headers=headers,
            stream=True,
        )

    def upload(
        self,
        dataset_id: str,
        path: str,
        data: Body,
        *,
        media_type: str | None = None,
        expected_digest: str | None = None,
    ) -> FileInfo:
        """PUT .../content/{path}: write a file into the draft from bytes, a binary file or byte chunks.

        Files and iterables are streamed, never read whole. Without `media_type` the sidecar guesses it
        from the path's extension and the first bytes. With `expected_digest` ("sha256:<hex>") the sidecar
        checks the content against it (DATA_LOSS when it differs) and, knowing its address, writes it once.
        """
        headers = {"Content-Type": media_type} if media_type else {}
        params = {"expected_digest": expected_digest} if expected_digest else None
        resp = self.send(
            "PUT", f"{_ds(dataset_id)}/content/{_file_path(path)}", params=params, data=data, headers=headers
        )
        result: FileInfo = resp.json()
        return result

    def upload_batch(self, dataset_id: str, files: Sequence[tuple[str, Path]]) -> list[FileInfo]:
        """POST .../files:upload: write many small files (each at most 1 MiB) into the draft as one change.

        `files` are (path in the dataset, local file) pairs, sent as one tar archive; the sidecar writes all
        of them or, on any bad file, none (KamldError naming each bad one as files[i].<field>).
        """
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path, local in files:
                data = local.read_bytes()
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        resp = self.send(
            "POST",
            f"{_ds(dataset_id)}/files:upload",
            data=buf.getvalue(),
            headers={"Content-Type": "application/x-tar"},
        )
        result: list[FileInfo] = resp.json()["files"]
        return result

    # any route

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call any REST route (e.g. "/v1/system/info") and return its decoded JSON body."""
        resp = self.send(method, path, params=params, json=json)
        return resp.json() if resp.content else None

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Body | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> requests.Response:
        """Call any REST route and return the successful response; KamldError otherwise.

        `timeout` (seconds) replaces the client's for this call, e.g. for a long query.
        """
        start = data.tell() if _rewindable(data) else None  # type: ignore[union-attr]
        try:
            return self._send_once(method, path, params, json, data, headers, stream, timeout)
        except KamldError as exc:
            # The sidecar may have been restarted on a new port with a new token since we looked it up.
            # A body can be sent again only when it is bytes or a file we can seek back in.
            retry_body = data is None or isinstance(data, bytes) or start is not None
            if (
                retry_body
                and self._discover
                and exc.code in (UNAVAILABLE, UNAUTHENTICATED)
                and self._rediscover()
            ):
                if start is not None:
                    data.seek(start)  # type: ignore[union-attr]
                return self._send_once(method, path, params, json, data, headers, stream, timeout)
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
        if self._conn.auth == "hub" or self._conn.token.startswith(JOB_TOKEN_PREFIX):
            # The Hub token or a job token names the caller; a shared kamld refuses X-Kamld-User.
            self._session.headers.pop(USER_HEADER, None)
        else:
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

    def _pages(self, path: str, key: str, params: Mapping[str, Any]) -> Iterator[Any]:
        """The items under `key` of every page of a List route."""
        for page in self._raw_pages(path, params):
            yield from page.get(key) or []

    def _raw_pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            query = {**params, "pageSize": 1000}
            if token:
                query["pageToken"] = token
            page = self.request("GET", path, params=query) or {}
            yield page
            token = page.get("nextPageToken") or ""
            if not token:
                return

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Body | None,
        headers: Mapping[str, str] | None,
        stream: bool,
        timeout: float | None = None,
    ) -> requests.Response:
        url = f"{self._conn.url}/{path.lstrip('/')}"
        wait = self.timeout if timeout is None else timeout
        try:
            resp = self._session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                stream=stream,
                timeout=wait,
            )
        except requests.ConnectionError as exc:
            raise error_for(
                UNAVAILABLE,
                f"cannot reach the kamld sidecar at {self._conn.url} (from {self._conn.source}): {exc}. "
                "Is JupyterLab with the kamld extension (or `kamld serve`) still running?",
            ) from exc
        except requests.Timeout as exc:
            raise error_for(
                4, f"the kamld sidecar at {self._conn.url} did not answer within {wait} s"
            ) from exc
        if resp.ok:
            return resp
        try:
            raise _error_from_response(resp)
        finally:
            resp.close()


def _dataset(data: Any) -> Dataset:
    """The API's Dataset as a DatasetInfo: the same dict, displayed as a card in notebooks."""
    return cast(Dataset, DatasetInfo(data or {}))


def _snapshot(data: Any) -> Snapshot:
    """The API's Snapshot as a SnapshotInfo: the same dict, with typed properties and a card."""
    return cast(Snapshot, SnapshotInfo(data or {}))


def _rewindable(data: object) -> bool:
    """True for a file object whose position we can go back to."""
    seekable = getattr(data, "seekable", None)
    try:
        return bool(seekable and seekable() and hasattr(data, "tell"))
    except (OSError, ValueError):
        return False


def _error_from_response(resp: requests.Response) -> KamldError:
    """A KamldError from a google.rpc.Status body, or a best effort from the HTTP status."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # a streaming route wraps its status: {"error": {...}}
    err = KamldError.from_status_json(body, http_status=resp.status_code)
    if err is not None:
        return err
    text = resp.text.strip()[:500] or resp.reason
    return error_for(
        grpc_code_from_http(resp.status_code),
        f"HTTP {resp.status_code} from {resp.url}: {text}",
        http_status=resp.status_code,
    )

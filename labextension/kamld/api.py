"""Notebook-level functions over a default `kamld.Client`: `kamld.datasets()`, `kamld.load("iris@v3")`, ...

Datasets, snapshots and files are named with short refs, "dataset[@ref][/path]" (see `kamld.refs`).
pandas (and pyarrow for Parquet) are optional: `pip install 'kamld[dataframes]'`; they are imported only by
the functions that return DataFrames. The `*_records` functions return plain dicts and need neither (the
magics use them).
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Literal, overload

import requests

from .client import (
    AccessGrant,
    Client,
    Dataset,
    DatasetAccess,
    DiffStats,
    FileInfo,
    MergeResult,
    Snapshot,
    Tag,
)
from .errors import ABORTED, KamldError, error_for, invalid_argument
from .progress import Bar, byte_bar
from .refs import (
    DEFAULT_BRANCH,
    DRAFT,
    ShortRef,
    draft_branch,
    parse_short_ref,
    scoped_dataset,
    validate_branch_name,
    validate_dataset_id,
    validate_path,
    validate_tag_id,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TABULAR_FORMATS",
    "DatasetFile",
    "branch",
    "create",
    "datasets",
    "diff",
    "get_client",
    "load",
    "log",
    "ls",
    "merge",
    "open",
    "restore",
    "search",
    "search_records",
    "set_client",
    "snapshot",
    "tag",
    "upload",
]

# File extension -> format name load() reads.
TABULAR_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

UPLOAD_WORKERS = 8
# A folder's files of at most BATCH_FILE_BYTES go in batches of at most BATCH_FILES files or BATCH_BYTES
# bytes (the sidecar's batch takes files of at most 1 MiB).
BATCH_FILE_BYTES = 1 << 20
BATCH_FILES = 1000
BATCH_BYTES = 32 << 20

_client_lock = threading.Lock()
_client: Client | None = None


# -- the default client ---------------------------------------------------------------------------------


def get_client() -> Client:
    """The Client the module-level functions use, created on first use (it finds the sidecar itself)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = Client()
        return _client


def set_client(client: Client | None) -> None:
    """Make `client` the default (None: find the sidecar again on next use)."""
    global _client
    with _client_lock:
        old, _client = _client, client
    if old is not None and old is not client:
        old.close()


def _c(client: Client | None) -> Client:
    return client if client is not None else get_client()


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "this kamld function returns a pandas DataFrame, but pandas is not installed: "
            "pip install 'kamld[dataframes]' (or pip install pandas pyarrow)"
        ) from exc
    return pd


def _int(value: Any) -> int:
    """proto3 JSON int64 values arrive as strings."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _frame(rows: list[dict[str, Any]], columns: list[str], times: tuple[str, ...] = ()) -> pd.DataFrame:
    pd = _pandas()
    df = pd.DataFrame(rows, columns=columns)
    for col in times:
        df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def _short_id(name: str) -> str:
    """datasets/iris -> iris; datasets/iris/snapshots/4f2a... -> 4f2a..."""
    return name.rsplit("/", 1)[-1]


def _parse_folder(text: str) -> ShortRef:
    """A short ref where "iris/" (the dataset's root folder) is accepted as well as "iris"."""
    head, sep, rest = text.partition("/")
    return parse_short_ref(head if sep and not rest else text)


def _no_path(ref: ShortRef, what: str) -> None:
    if ref.path:
        raise invalid_argument(f"{what} takes a dataset or dataset@ref, not a file path: {str(ref)!r}")


# -- datasets -------------------------------------------------------------------------------------------


def dataset_records(*, client: Client | None = None) -> list[dict[str, Any]]:
    """One dict per dataset: name, description, tags, owner, files, bytes, snapshots, updated."""
    return [_dataset_row(d) for d in _c(client).list_datasets()]


def _dataset_row(d: Dataset) -> dict[str, Any]:
    stats = d.get("stats") or {}
    return {
        "name": _short_id(d.get("name", "")),
        "description": d.get("description", ""),
        "tags": list(d.get("tags") or []),
        "owner": d.get("owner", ""),
        "files": _int(stats.get("fileCount")),
        "bytes": _int(stats.get("totalBytes")),
        "snapshots": _int(d.get("snapshotCount")),
        "updated": d.get("updateTime"),
    }


DATASET_COLUMNS = ["name", "description", "tags", "owner", "files", "bytes", "snapshots", "updated"]


def datasets(*, client: Client | None = None) -> pd.DataFrame:
    """All datasets as a DataFrame: name, description, tags, owner, files, bytes, snapshots, updated."""
    return _frame(dataset_records(client=client), DATASET_COLUMNS, ("updated",))


def _plain(fragment: str) -> str:
    """A highlight fragment as text: the <mark> tags dropped, the escaped characters restored."""
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


def search_records(
    query: str = "", *, order_by: str = "", limit: int = 100, client: Client | None = None
) -> list[dict[str, Any]]:
    """The datasets matching `query` (syntax in search.proto, e.g. 'tag:finance format:parquet churn'), at
    most `limit`, best first: one dict per dataset with name, score, the columns of `datasets`, rows and
    `matches`, the highlighted text fragments of free-text matches as plain text."""
    if limit < 1:
        raise invalid_argument(f"limit must be positive, not {limit}")
    c = _c(client)
    rows: list[dict[str, Any]] = []
    token = ""
    while len(rows) < limit:
        page = c.search_datasets(
            query, order_by=order_by, page_size=min(limit - len(rows), 1000), page_token=token, highlight=True
        )
        for r in page.get("results") or []:
            d = r.get("dataset") or {}
            row = _dataset_row(d)
            row["rows"] = _int((d.get("stats") or {}).get("rowCount"))
            row["score"] = float(r.get("score") or 0.0)
            row["matches"] = [_plain(f) for h in r.get("highlights") or [] for f in h.get("fragments") or []]
            rows.append(row)
        token = page.get("nextPageToken") or ""
        if not token:
            break
    return rows[:limit]


SEARCH_COLUMNS = [
    "name",
    "score",
    "description",
    "tags",
    "owner",
    "files",
    "bytes",
    "rows",
    "snapshots",
    "updated",
    "matches",
]


def search(
    query: str = "", *, order_by: str = "", limit: int = 100, client: Client | None = None
) -> pd.DataFrame:
    """The datasets matching `query` as a DataFrame, best first (or by `order_by`: "updated", "name", "size",
    with " asc"/" desc"). Free text, "phrases", tag:, label:key=value, format:, owner:, column:, size:>10MB,
    rows:>1000, updated:>2026-01-01, created:2025-01..2025-06, -negation, OR and (groups); a malformed query
    raises KamldError INVALID_ARGUMENT (3) naming the position."""
    return _frame(
        search_records(query, order_by=order_by, limit=limit, client=client), SEARCH_COLUMNS, ("updated",)
    )


def create(
    name: str,
    *,
    description: str = "",
    tags: list[str] | tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
    visibility: str = "",
    client: Client | None = None,
) -> Dataset:
    """Create an empty dataset; ALREADY_EXISTS (KamldError code 6) when the name is taken. `visibility`:
    "private", "internal" (the default) or "public"."""
    ref = parse_short_ref(name)
    if ref.ref or ref.path:
        raise invalid_argument(f"create takes a bare dataset name like 'iris', not {name!r}")
    return _c(client).create_dataset(
        ref.dataset, description=description, tags=tags, labels=labels, visibility=visibility
    )


# -- access -----------------------------------------------------------------------------------------------

ROLES = ("reader", "writer", "admin")
VISIBILITIES = ("private", "internal", "public")


def _bare(name: str, what: str) -> str:
    ref = parse_short_ref(name)
    if ref.ref or ref.path:
        raise invalid_argument(f"{what} takes a bare dataset name like 'iris', not {name!r}")
    return ref.dataset


def access(name: str, *, client: Client | None = None) -> DatasetAccess:
    """A dataset's policy: owner, visibility, grants, its etag and your own role ("yourRole")."""
    return _c(client).get_access(_bare(name, "access"))


def _update_access(
    dataset: str, change: Callable[[DatasetAccess], DatasetAccess], client: Client | None
) -> DatasetAccess:
    """Read the policy, change it, write it back with its etag; a concurrent change is retried."""
    c = _c(client)
    for attempt in range(5):
        current = c.get_access(dataset)
        new = change(current)
        try:
            return c.set_access(
                dataset,
                visibility=new.get("visibility", "internal"),
                grants=new.get("grants", []),
                etag=current.get("etag", ""),
            )
        except KamldError as exc:
            if exc.code != ABORTED or attempt == 4:
                raise
    raise AssertionError("unreachable")


def share(
    name: str,
    *,
    user: str | None = None,
    group: str | None = None,
    role: str = "reader",
    client: Client | None = None,
) -> DatasetAccess:
    """Give `user` or `group` (exactly one) `role` on a dataset ("reader", "writer", "admin"; "none"
    removes the grant), keeping the other grants. Only the dataset's admins may (PERMISSION_DENIED)."""
    if (user is None) == (group is None):
        raise invalid_argument("share takes exactly one of user= or group=")
    if role not in (*ROLES, "none"):
        raise invalid_argument(f"role must be one of {', '.join(ROLES)} or 'none', not {role!r}")
    kind, who = ("user", user) if user is not None else ("group", group)

    def change(a: DatasetAccess) -> DatasetAccess:
        grants = [g for g in a.get("grants", []) if (g.get("kind"), g.get("name")) != (kind, who)]
        if role != "none":
            grants.append(AccessGrant(kind=kind, name=str(who), role=role))
        return {**a, "grants": grants}

    return _update_access(_bare(name, "share"), change, client)


def set_visibility(name: str, visibility: str, *, client: Client | None = None) -> DatasetAccess:
    """Make a dataset "private", "internal" (every signed-in user reads it) or "public"."""
    if visibility not in VISIBILITIES:
        raise invalid_argument(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    return _update_access(_bare(name, "set_visibility"), lambda a: {**a, "visibility": visibility}, client)


# -- files ----------------------------------------------------------------------------------------------


def file_records(ref: str, *, recursive: bool = True, client: Client | None = None) -> list[dict[str, Any]]:
    """The files at "dataset[@ref][/folder/]": path, size, media_type, modified, digest."""
    r = _parse_folder(ref)
    prefix = r.path if not r.path or r.path.endswith("/") else r.path + "/"
    files = _c(client).list_files(r.dataset, ref=r.ref, prefix=prefix, recursive=recursive)
    return [
        {
            "path": f.get("path", ""),
            "size": _int(f.get("size")),
            "media_type": f.get("mediaType", ""),
            "modified": f.get("modifyTime"),
            "digest": f.get("digest", ""),
        }
        for f in files
    ]


def ls(ref: str, *, recursive: bool = True, client: Client | None = None) -> pd.DataFrame:
    """The files at "dataset[@ref][/folder/]" as a DataFrame: path, size, media_type, modified, digest."""
    records = file_records(ref, recursive=recursive, client=client)
    return _frame(records, ["path", "size", "media_type", "modified", "digest"], ("modified",))


class DatasetFile(io.RawIOBase):
    """The raw, streamed body of one file download. Use `kamld.open`, which buffers (and decodes) it."""

    def __init__(self, response: requests.Response, name: str, bar: Bar | None = None) -> None:
        super().__init__()
        self._response = response
        self._bar = bar
        self.name = name
        self.size = _int(response.headers.get("Content-Length"))
        self.etag = response.headers.get("ETag", "")
        self.media_type = response.headers.get("Content-Type", "")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._response.raw.read(len(view), decode_content=True)
        n = len(data)
        view[:n] = data
        if self._bar is not None:
            self._bar.update(n)
        return n

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            if self._bar is not None:
                self._bar.close()
        super().close()


def _open_file(r: ShortRef, client: Client | None, progress: bool | None = False) -> DatasetFile:
    if r.is_folder:
        what = "a folder" if r.path else "a whole dataset"
        raise invalid_argument(f"open needs a file path like 'iris@v1/train.csv'; {str(r)!r} names {what}")
    resp = _c(client).download(r.dataset, r.path, ref=r.ref)
    size = _int(resp.headers.get("Content-Length"))
    return DatasetFile(resp, str(r), byte_bar(size, f"loading {r}", progress))


@overload
def open(
    ref: str,
    mode: Literal["rb"] = "rb",
    *,
    encoding: str | None = None,
    client: Client | None = None,
) -> io.BufferedReader: ...
@overload
def open(
    ref: str,
    mode: Literal["r", "rt"],
    *,
    encoding: str | None = None,
    client: Client | None = None,
) -> io.TextIOWrapper: ...
def open(
    ref: str,
    mode: str = "rb",
    *,
    encoding: str | None = None,
    client: Client | None = None,
) -> IO[Any]:
    """Open "dataset[@ref]/path" for reading, streamed from the sidecar.

    mode "rb" (default) gives a binary file, "r"/"rt" a text file (UTF-8 unless `encoding`). The result
    supports read, readline, iteration over lines and `with`; close it (or use `with`) to free the
    connection. Writing is `kamld.upload`.
    """
    if mode not in ("rb", "r", "rt"):
        raise invalid_argument(
            f"mode {mode!r}: kamld.open reads only, use 'rb' or 'r' (write with kamld.upload)"
        )
    if mode == "rb" and encoding is not None:
        raise invalid_argument("binary mode doesn't take an encoding argument")
    raw = _open_file(parse_short_ref(ref), client)
    buffered = io.BufferedReader(raw, buffer_size=1 << 16)
    if mode == "rb":
        return buffered
    return io.TextIOWrapper(buffered, encoding=encoding or "utf-8", newline=None)


# -- load -----------------------------------------------------------------------------------------------


def _format_of(path: str) -> str | None:
    return TABULAR_FORMATS.get(PurePosixPath(path).suffix.lower())


def _pick_table(r: ShortRef, client: Client) -> str:
    """The one tabular file under the dataset or folder `r` names; ValueError when none or several."""
    files = client.list_files(r.dataset, ref=r.ref, prefix=r.path, recursive=True)
    tables = [f["path"] for f in files if _format_of(f.get("path", ""))]
    where = str(r)
    if not tables:
        kinds = ", ".join(sorted(set(TABULAR_FORMATS)))
        raise invalid_argument(f"{where!r} holds no tabular file ({kinds}); found {len(files)} other file(s)")
    if len(tables) > 1:
        base = f"{r.dataset}@{r.ref}" if r.ref else r.dataset
        listing = "\n".join(f"  kamld.load({base + '/' + p!r})" for p in tables[:20])
        more = f"\n  ... and {len(tables) - 20} more" if len(tables) > 20 else ""
        raise invalid_argument(
            f"{where!r} holds {len(tables)} tabular files; load one of them:\n{listing}{more}"
        )
    return tables[0]


def load(
    ref: str, *, progress: bool | None = None, client: Client | None = None, **read_kwargs: Any
) -> pd.DataFrame:
    """A DataFrame from "dataset[@ref][/path]": a CSV, TSV, Parquet, JSON or JSON-lines file.

    Without a path (or with a folder path ending in '/'), the dataset or folder must hold exactly one
    tabular file. `read_kwargs` go to the pandas reader (read_csv, read_parquet, read_json). A progress bar
    (tqdm, when installed) shows for files of 8 MiB and more, or always with `progress=True`.
    """
    pd = _pandas()
    c = _c(client)
    r = _parse_folder(ref)
    path = _pick_table(r, c) if r.is_folder else r.path
    fmt = _format_of(path)
    if fmt is None:
        kinds = ", ".join(sorted(set(TABULAR_FORMATS)))
        raise invalid_argument(f"cannot load {path!r} into a DataFrame: not a tabular file ({kinds})")
    target = ShortRef(r.dataset, r.ref, path)
    with io.BufferedReader(_open_file(target, c, progress), buffer_size=1 << 16) as f:
        if fmt == "csv":
            return pd.read_csv(f, **read_kwargs)
        if fmt == "tsv":
            return pd.read_csv(f, **{"sep": "\t", **read_kwargs})
        # Parquet needs random access and JSON is parsed whole anyway: read the bytes.
        data = io.BytesIO(f.read())
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "loading Parquet needs pyarrow: pip install 'kamld[dataframes]' (or pip install pyarrow)"
            ) from exc
        return pd.read_parquet(data, **read_kwargs)
    if fmt == "jsonl":
        return pd.read_json(data, **{"lines": True, **read_kwargs})
    try:
        return pd.read_json(data, **read_kwargs)
    except ValueError:
        if "lines" in read_kwargs:
            raise
        data.seek(0)  # a .json file holding JSON lines
        return pd.read_json(data, lines=True, **read_kwargs)


# -- upload ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Upload:
    local: Path
    path: str
    size: int


Progress = Callable[[str, int, int, int], None]


def _print_progress(path: str, size: int, done: int, total: int) -> None:
    print(f"kamld: uploaded {done}/{total} {path} ({size:,} bytes)", file=sys.stderr, flush=True)


def _plan_upload(local: Path, r: ShortRef) -> list[_Upload]:
    if local.is_dir():
        prefix = r.path if not r.path or r.path.endswith("/") else r.path + "/"
        plan = []
        for p in sorted(local.rglob("*")):
            if p.is_file():
                rel = unicodedata.normalize("NFC", p.relative_to(local).as_posix())
                plan.append(_Upload(p, validate_path(prefix + rel), p.stat().st_size))
        return plan
    if local.is_file():
        name = unicodedata.normalize("NFC", local.name)
        path = r.path + name if r.is_folder else r.path
        return [_Upload(local, validate_path(path), local.stat().st_size)]
    raise FileNotFoundError(f"nothing to upload at {str(local)!r}: no such file or folder")


def _hash_first(c: Client) -> bool:
    """Whether large files are best hashed here before they are sent: with the digest the sidecar writes the
    bytes once, straight to their content address. A store that renames (the local one, "fs") gets there in
    one write anyway; on S3 an upload without it is written twice (docs/benchmarks.md, MinIO ingest)."""
    for b in c.info().get("backends", []):
        if b.get("capability") == "blob":
            return b.get("backend") != "fs"
    return False


def _file_digest(f: io.BufferedReader) -> str:
    """The sha256 digest of an open file, read to the end and then rewound for the upload."""
    digest = hashlib.file_digest(f, "sha256").hexdigest()
    f.seek(0)
    return f"sha256:{digest}"


def upload(
    local: str | os.PathLike[str],
    dest: str,
    *,
    progress: bool | Progress | None = None,
    workers: int = UPLOAD_WORKERS,
    client: Client | None = None,
) -> list[FileInfo]:
    """Upload a local file or folder into a dataset's draft; returns the written files' FileInfo.

    `dest` is "dataset[/path]": a file goes to `path`, or into it when it ends in '/' (or is absent);
    a folder's files go under `path/` keeping their relative paths: files up to 1 MiB in batches of up
    to 1,000 (each batch written whole or not at all), larger ones streamed one by one, `workers` (8)
    calls at a time. Bytes are streamed, never read whole. A progress bar over the bytes (tqdm, when
    installed) shows for uploads of 8 MiB and more, or always with `progress=True` (without tqdm, True
    prints one line per file to stderr); a callable gets (path, size, files_done, files_total) instead.
    Take a snapshot afterwards to record the change.
    """
    r = _parse_folder(dest)
    branch = draft_branch(r.ref) if r.ref else ""
    if branch is None:
        raise invalid_argument(
            f"uploads go to the draft; {dest!r} names ref {r.ref!r} "
            "(write 'dataset/path' or 'dataset@branch~draft/path')"
        )
    target = scoped_dataset(r.dataset, branch)
    plan = _plan_upload(Path(local).expanduser(), r)
    c = _c(client)
    bar = (
        None if callable(progress) else byte_bar(sum(u.size for u in plan), f"uploading to {dest}", progress)
    )
    report: Progress | None = progress if callable(progress) else None
    if bar is not None:
        report = lambda path, size, done, total: bar.update(size)  # noqa: E731 -- the same shape
    elif progress is True:
        report = _print_progress
    done = 0
    lock = threading.Lock()

    def fail(exc: KamldError, what: str) -> KamldError:
        # Say which file: a folder upload fails on one of many.
        return error_for(
            exc.code, f"uploading {what}: {exc.message}", exc.details, http_status=exc.http_status
        )

    def done_with(items: list[_Upload]) -> None:
        nonlocal done
        if report:
            with lock:
                for item in items:
                    done += 1
                    report(item.path, item.size, done, len(plan))

    prehash = any(u.size > BATCH_FILE_BYTES for u in plan) and _hash_first(c)

    def one(item: _Upload) -> list[FileInfo]:
        try:
            with item.local.open("rb") as f:
                digest = _file_digest(f) if prehash and item.size > BATCH_FILE_BYTES else None
                info = c.upload(target, item.path, f, expected_digest=digest)
        except KamldError as exc:
            raise fail(exc, f"{str(item.local)!r} to {r.dataset}/{item.path}") from exc
        done_with([item])
        return [info]

    def batch(items: list[_Upload]) -> list[FileInfo]:
        try:
            infos = c.upload_batch(target, [(item.path, item.local) for item in items])
        except KamldError as exc:
            first, last = items[0], items[-1]
            raise fail(
                exc,
                f"a batch of {len(items)} files to {r.dataset}/ ({first.path} … {last.path}; none written)",
            ) from exc
        done_with(items)
        return infos

    try:
        results = _run_uploads(_upload_tasks(plan, one, batch), workers)
    finally:
        if bar is not None:
            bar.close()
    by_path = {info["path"]: info for infos in results for info in infos}
    return [by_path[item.path] for item in plan]


_Task = Callable[[], list[FileInfo]]


def _upload_tasks(
    plan: list[_Upload],
    one: Callable[[_Upload], list[FileInfo]],
    batch: Callable[[list[_Upload]], list[FileInfo]],
) -> list[_Task]:
    """Small files go in batches (one call and one draft change each), large ones one streamed PUT each."""
    tasks: list[_Task] = []
    small: list[_Upload] = []
    small_bytes = 0
    for item in plan:
        if len(plan) == 1 or item.size > BATCH_FILE_BYTES:
            tasks.append(partial(one, item))
            continue
        small.append(item)
        small_bytes += item.size
        if len(small) >= BATCH_FILES or small_bytes >= BATCH_BYTES:
            tasks.append(partial(batch, small))
            small, small_bytes = [], 0
    if small:
        tasks.append(partial(batch, small))
    return tasks


def _run_uploads(tasks: list[_Task], workers: int) -> list[list[FileInfo]]:
    """Runs the upload tasks, `workers` at a time; the first failure cancels what has not started."""
    if len(tasks) <= 1 or workers <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="kamld-upload") as pool:
        futures: list[Future[list[FileInfo]]] = [pool.submit(task) for task in tasks]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in finished and f.exception() is not None), None)
        if failed is not None:
            for f in futures:
                f.cancel()
            raise failed.exception()  # type: ignore[misc]
        return [f.result() for f in futures]


# -- snapshots ------------------------------------------------------------------------------------------


def _on_branch(r: ShortRef, what: str) -> str:
    """The dataset name acting on the branch `r` names: "iris" (main), "iris@exp", "iris@exp~draft"."""
    branch = draft_branch(r.ref) if r.ref else ""
    if branch is None:
        if _SNAPSHOT_REF.fullmatch(r.ref):
            raise invalid_argument(
                f"{what} works on a branch; {str(r)!r} names a snapshot (write 'iris' or 'iris@branch')"
            )
        branch = r.ref  # a branch name (a tag would be NOT_FOUND as a branch)
    return scoped_dataset(r.dataset, branch)


_SNAPSHOT_REF = re.compile(r"v[0-9]+|[0-9a-f]{6,64}")


def snapshot(
    dataset: str, message: str = "", *, allow_empty: bool = False, client: Client | None = None
) -> Snapshot:
    """Commit the draft as a new snapshot (v1, v2, ...) and return it: main's ("iris") or a branch's
    ("iris@exp")."""
    r = parse_short_ref(dataset)
    _no_path(r, "snapshot")
    return _c(client).create_snapshot(_on_branch(r, "snapshot"), message, allow_empty=allow_empty)


def snapshot_records(dataset: str, *, client: Client | None = None) -> list[dict[str, Any]]:
    """The history of main ("iris") or a branch ("iris@exp"), newest first: version, id, message, author,
    created, files, bytes, tags."""
    r = parse_short_ref(dataset)
    _no_path(r, "log")
    return [
        {
            "version": s.get("version", ""),
            "id": s.get("id", ""),
            "message": s.get("message", ""),
            "author": s.get("author", ""),
            "created": s.get("createTime"),
            "files": _int((s.get("stats") or {}).get("fileCount")),
            "bytes": _int((s.get("stats") or {}).get("totalBytes")),
            "tags": list(s.get("tags") or []),
        }
        for s in _c(client).list_snapshots(_on_branch(r, "log"))
    ]


LOG_COLUMNS = ["version", "id", "message", "author", "created", "files", "bytes", "tags"]


def log(dataset: str, *, client: Client | None = None) -> pd.DataFrame:
    """The dataset's snapshots, newest first, as a DataFrame."""
    return _frame(snapshot_records(dataset, client=client), LOG_COLUMNS, ("created",))


def _diff_refs(a: str, b: str | None) -> tuple[str, str, str, str]:
    """(dataset, from_ref, to_ref, path_prefix) of diff(a, b)."""
    ra = parse_short_ref(a)
    rb = parse_short_ref(b) if b is not None else ShortRef(ra.dataset, DRAFT, ra.path)
    if ra.dataset != rb.dataset:
        raise invalid_argument(
            f"diff compares two refs of one dataset, not {ra.dataset!r} and {rb.dataset!r}"
        )
    if ra.path and rb.path and ra.path != rb.path:
        raise invalid_argument(f"diff takes at most one path prefix, not {ra.path!r} and {rb.path!r}")
    return ra.dataset, ra.ref, rb.ref or "", ra.path or rb.path


_CHANGE_NAMES = {
    "CHANGE_TYPE_ADDED": "added",
    "CHANGE_TYPE_REMOVED": "removed",
    "CHANGE_TYPE_MODIFIED": "modified",
}
DIFF_COLUMNS = ["path", "change", "size_before", "size_after", "digest_before", "digest_after"]


def diff_records(a: str, b: str | None = None, *, client: Client | None = None) -> list[dict[str, Any]]:
    """The changes from `a` to `b` (default: the draft), sorted by path; see `diff`."""
    dataset, from_ref, to_ref, prefix = _diff_refs(a, b)
    if b is not None and to_ref == "":
        # "iris" means the latest snapshot in a short ref, but an empty to_ref would mean the draft.
        to_ref = _short_id(_c(client).get_dataset(dataset).get("headSnapshot", "")) or DRAFT
    result = _c(client).diff_snapshots(dataset, from_ref, to_ref, path_prefix=prefix)
    rows = []
    for ch in result.get("changes") or []:
        before: dict[str, Any] = ch.get("from") or {}  # type: ignore[assignment]
        after: dict[str, Any] = ch.get("to") or {}  # type: ignore[assignment]
        rows.append(
            {
                "path": ch.get("path", ""),
                "change": _CHANGE_NAMES.get(ch.get("type", ""), ch.get("type", "")),
                "size_before": _int(before.get("size")) if before else None,
                "size_after": _int(after.get("size")) if after else None,
                "digest_before": before.get("digest"),
                "digest_after": after.get("digest"),
            }
        )
    return rows


def diff(a: str, b: str | None = None, *, client: Client | None = None) -> pd.DataFrame:
    """What changed from `a` to `b`: diff("iris@v1", "iris@v2"); without `b`, from `a` to the draft.

    One row per changed file: path, change (added/removed/modified), size_before, size_after and the
    digests. A path in either ref ("iris@v1/images/") limits the diff to that prefix.
    """
    df = _frame(diff_records(a, b, client=client), DIFF_COLUMNS)
    for col in ("size_before", "size_after"):
        df[col] = df[col].astype("Int64")
    return df


def restore(ref: str, *, client: Client | None = None) -> DiffStats:
    """Reset the draft to the snapshot "dataset@ref"; the next `snapshot` records it. Returns the changes."""
    r = parse_short_ref(ref)
    _no_path(r, "restore")
    if not r.ref or r.ref == DRAFT:
        raise invalid_argument(f"restore needs a snapshot to go back to, e.g. 'iris@v1', not {ref!r}")
    stats = _c(client).restore_snapshot(r.dataset, r.ref)
    return {k: _int(v) for k, v in stats.items()}  # type: ignore[return-value]


def tag(ref: str, name: str, *, overwrite: bool = False, client: Client | None = None) -> Tag:
    """Tag the snapshot "dataset@ref" (the latest when no ref) as `name`; then "dataset@name" reads it."""
    r = parse_short_ref(ref)
    _no_path(r, "tag")
    validate_tag_id(name)
    if r.ref == DRAFT:
        raise invalid_argument("only snapshots can be tagged, not the draft; take a snapshot first")
    c = _c(client)
    target = r.ref or c.get_dataset(r.dataset).get("headSnapshot", "")
    if not target:
        raise invalid_argument(f"dataset {r.dataset!r} has no snapshot to tag yet")
    return c.create_tag(r.dataset, name, target, overwrite=overwrite)


# -- branches -------------------------------------------------------------------------------------------

BRANCH_COLUMNS = ["branch", "head", "default", "author", "created"]


def branch_records(dataset: str, *, client: Client | None = None) -> list[dict[str, Any]]:
    """The dataset's branches by name: branch, head (version), default, author, created."""
    return [
        {
            "branch": _short_id(b.get("name", "")),
            "head": b.get("headVersion", ""),
            "default": bool(b.get("isDefault")),
            "author": b.get("author", ""),
            "created": b.get("createTime"),
        }
        for b in _c(client).list_branches(validate_dataset_id(dataset))
    ]


def branch(
    ref: str,
    name: str | None = None,
    *,
    delete: bool = False,
    rename_to: str | None = None,
    client: Client | None = None,
) -> Any:
    """Branches of a dataset, each with its own draft and history.

    - ``branch("iris")``: the branches, as a DataFrame.
    - ``branch("iris@v3", "exp")``: create branch exp at v3 (at main's head for "iris"); nothing is copied.
      Then write to ``"iris@exp~draft/…"`` (upload), ``snapshot("iris@exp")``, read ``"iris@exp"``.
    - ``branch("iris@exp", rename_to="tried")``, ``branch("iris@exp", delete=True)``.
    """
    r = parse_short_ref(ref)
    _no_path(r, "branch")
    c = _c(client)
    if name is not None:
        validate_branch_name(name)
        return c.create_branch(r.dataset, name, from_ref=r.ref)
    if delete or rename_to is not None:
        if not r.ref or draft_branch(r.ref) is not None:
            raise invalid_argument(f"name the branch as 'dataset@branch', not {ref!r}")
        if delete:
            c.delete_branch(r.dataset, r.ref)
            return None
        return c.rename_branch(r.dataset, r.ref, validate_branch_name(rename_to or ""))
    if r.ref:
        raise invalid_argument(
            f"to list branches pass the dataset name, not {ref!r}; to create one pass a name too"
        )
    return _frame(branch_records(r.dataset, client=client), BRANCH_COLUMNS, ("created",))


def merge(
    source: str,
    target: str | None = None,
    *,
    strategy: str = "",
    ours: Iterable[str] = (),
    theirs: Iterable[str] = (),
    message: str = "",
    client: Client | None = None,
) -> MergeResult:
    """Merge ``source`` ("iris@exp", or any snapshot "iris@v7") into the branch ``target`` ("iris" = main,
    "iris@exp"; default main).

    Fast-forwards when it can, else merges by path against the common ancestor. A path changed differently
    on both sides is a conflict: ``strategy="ours"``/``"theirs"`` resolves all of them, ``ours=[paths]`` /
    ``theirs=[paths]`` single ones; unresolved, the merge raises KamldError (FAILED_PRECONDITION) whose
    ``conflicts`` lists every path with both sides' digests and sizes.
    """
    rs = parse_short_ref(source)
    rt = parse_short_ref(target if target is not None else rs.dataset)
    _no_path(rs, "merge")
    _no_path(rt, "merge")
    if rs.dataset != rt.dataset:
        raise invalid_argument(f"merge works within one dataset, not {rs.dataset!r} into {rt.dataset!r}")
    if rt.ref and (draft_branch(rt.ref) is not None or _SNAPSHOT_REF.fullmatch(rt.ref)):
        raise invalid_argument(f"the target is a branch ('iris' or 'iris@exp'), not {target!r}")
    if draft_branch(rs.ref) is not None:
        raise invalid_argument(
            f"merge a snapshot, not a draft ({source!r}): take a snapshot of the branch first"
        )
    paths = {p: "ours" for p in ours} | {p: "theirs" for p in theirs}
    for p in paths:
        validate_path(p)
    return _c(client).merge_branch(
        rs.dataset,
        rs.ref or DEFAULT_BRANCH,
        rt.ref or DEFAULT_BRANCH,
        strategy=strategy,
        path_strategies=paths,
        message=message,
    )

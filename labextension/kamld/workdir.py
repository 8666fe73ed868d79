"""A notebook opened from a version runs next to that version's files, read-only (docs/drive.md).

JupyterLab starts a kernel in the server-side folder of its notebook's path; a notebook of the `kamld:` drive
has none, so its kernel would start in the server's root and `open("iris.csv")` would find nothing. When a
notebook of a version or tag connects to a Python kernel, the drive runs, silently, in that kernel:

    import kamld.workdir; kamld.workdir.enter("kamld:iris@v1/analysis.ipynb")

which copies the notebook's folder of that version (every file below it) into a local cache, each file
verified against its digest, and makes it the kernel's working directory. The copy is read-only: its files
and folders have no write permission, and an audit hook of this process refuses writes, deletes and renames
under the cache even where permissions do not bind (as root). Why this design, and not a replaced contents
or kernel manager: docs/architecture.md, "A notebook from a version".

Layout of the cache (KAMLD_VERSION_CACHE, else `kamld-versions` in Jupyter's runtime folder):

    blobs/<sha256 hex>                       each content once, 0444, shared by every version and folder
    trees/<dataset>@<snapshot id>/<name>/    a folder's files (as hard links to their blobs), folders 0500
    tmp/                                     downloads and trees being built, renamed into place when whole

A tree is keyed by the snapshot's id, which never changes, so a tree once built is reused as it is.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .api import get_client
from .client import Client, FileInfo
from .errors import DataLoss, ResourceExhausted, invalid_argument
from .refs import parse_short_ref

MAX_BYTES_ENV = "KAMLD_VERSION_FOLDER_MAX_BYTES"
MAX_FILES_ENV = "KAMLD_VERSION_FOLDER_MAX_FILES"
CACHE_ENV = "KAMLD_VERSION_CACHE"
DEFAULT_MAX_BYTES = 2 << 30
DEFAULT_MAX_FILES = 10_000
_READ = 1 << 20
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class VersionFolderTooLarge(ResourceExhausted):
    """The notebook's folder of a version holds more than a notebook's folder is copied up to."""

    def __init__(self, message: str) -> None:
        super().__init__(8, message)


def cache_root() -> Path:
    """Where version folders are copied: KAMLD_VERSION_CACHE, else Jupyter's runtime folder."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        return Path(jupyter_runtime_dir()) / "kamld-versions"
    except ImportError:  # a kernel without jupyter_core: the user's cache folder
        return Path.home() / ".cache" / "kamld-versions"


def enter(notebook: str, *, client: Client | None = None) -> Path:
    """Make the folder of `notebook` ("kamld:iris@v1/analysis.ipynb") at its version the working directory.

    Returns the local, read-only copy of the folder. InvalidArgument for a draft (its files change: read them
    with kamld.open); VersionFolderTooLarge past KAMLD_VERSION_FOLDER_MAX_BYTES (2 GiB) or
    KAMLD_VERSION_FOLDER_MAX_FILES (10,000); DataLoss if a file does not match its digest.
    """
    ref = parse_short_ref(notebook)
    if not ref.ref:
        raise invalid_argument(
            f"{notebook!r} names no version: write e.g. 'kamld:{ref.dataset}@v1/{ref.path}'"
        )
    if ref.ref == "draft" or ref.ref.endswith("~draft"):
        raise invalid_argument(f"{notebook!r} is in a draft, which changes: read its files with kamld.open")
    c = client or get_client()
    snapshot = c.get_snapshot(ref.dataset, ref.ref)
    folder = ref.path.rpartition("/")[0]
    where = f"kamld:{ref.dataset}@{ref.ref}/{folder + '/' if folder else ''}"
    files = c.list_files(ref.dataset, ref=snapshot["id"], prefix=folder + "/" if folder else "")
    _check_size(where, files)
    root = cache_root()
    tree = _materialise(c, root, ref.dataset, snapshot["id"], folder, files)
    protect(root, where=f"kamld:{ref.dataset}@{ref.ref}", draft=f"{ref.dataset}@draft")
    os.chdir(tree)
    return tree


def _limit(env: str, default: int) -> int:
    try:
        return int(os.environ.get(env, default))
    except ValueError:
        return default


def _check_size(where: str, files: list[FileInfo]) -> None:
    total = sum(int(f.get("size") or 0) for f in files)
    max_bytes, max_files = _limit(MAX_BYTES_ENV, DEFAULT_MAX_BYTES), _limit(MAX_FILES_ENV, DEFAULT_MAX_FILES)
    if total > max_bytes or len(files) > max_files:
        raise VersionFolderTooLarge(
            f"{where} holds {len(files):,} files, {total:,} bytes: more than the {max_files:,} files and "
            f"{max_bytes:,} bytes a notebook's folder is copied up to, so the kernel stays where it started. "
            f'Read the files you need with kamld.open("{where}<file>") or kamld.load, or raise '
            f"{MAX_BYTES_ENV} / {MAX_FILES_ENV}."
        )


def _materialise(
    c: Client, root: Path, dataset: str, snapshot: str, folder: str, files: list[FileInfo]
) -> Path:
    # One tree per folder, named by a hash: a folder's tree holds everything below it, so it must not sit
    # inside (and look like a finished part of) the tree of a folder above it.
    name = "root" if not folder else "folder-" + hashlib.sha256(folder.encode()).hexdigest()[:16]
    tree = root / "trees" / f"{dataset}@{snapshot}" / name
    if tree.is_dir():
        return tree
    with _writing():
        for d in ("blobs", "tmp"):
            (root / d).mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=root / "tmp", prefix="tree-"))
        cut = len(folder) + 1 if folder else 0
        for f in files:
            blob = _blob(c, root, dataset, snapshot, f)
            target = building / f["path"][cut:]
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(blob, target)
            except OSError:  # a filesystem without hard links: a copy, read-only too
                shutil.copyfile(blob, target)
                target.chmod(0o444)
        _seal_folders(building)
        tree.parent.mkdir(parents=True, exist_ok=True)
        try:
            building.rename(tree)
        except OSError:  # another kernel built the same tree first: use it
            _unseal_and_remove(building)
    return tree


def _blob(c: Client, root: Path, dataset: str, snapshot: str, f: FileInfo) -> Path:
    digest = str(f.get("digest", ""))
    hexdigest = digest.removeprefix("sha256:")
    blob = root / "blobs" / hexdigest
    if blob.is_file() and blob.stat().st_size == int(f.get("size") or 0):
        return blob
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=root / "tmp", prefix="blob-")
    with os.fdopen(fd, "wb") as out, c.download(dataset, f["path"], ref=snapshot) as resp:
        for chunk in resp.iter_content(_READ):
            h.update(chunk)
            out.write(chunk)
    if h.hexdigest() != hexdigest:
        os.unlink(tmp)
        raise DataLoss(
            15, f"{f['path']} of {dataset}@{snapshot} arrived as sha256:{h.hexdigest()}, not {digest}"
        )
    os.chmod(tmp, 0o444)
    os.replace(tmp, blob)
    return blob


def _seal_folders(top: Path) -> None:
    for dirpath, _, _ in os.walk(top, topdown=False):
        os.chmod(dirpath, 0o500)


def _unseal_and_remove(top: Path) -> None:
    for dirpath, _, _ in os.walk(top):
        os.chmod(dirpath, 0o700)
    shutil.rmtree(top, ignore_errors=True)


# -- read-only: an audit hook -----------------------------------------------------------------------------

_guard = threading.local()
_protected: dict[str, tuple[str, str]] = {}
_hooked = False
_PATH_EVENTS = {
    "os.remove": 1,
    "os.rmdir": 1,
    "os.mkdir": 1,
    "os.chmod": 1,
    "os.chown": 1,
    "os.truncate": 1,
    "os.utime": 1,
    "shutil.rmtree": 1,
    "os.rename": 2,
    "os.link": 2,
    "os.symlink": 2,
}


@contextmanager
def _writing() -> Iterator[None]:
    _guard.busy = True
    try:
        yield
    finally:
        _guard.busy = False


def protect(root: Path, *, where: str, draft: str) -> None:
    """Refuse writes under `root` in this process, with a PermissionError naming the version and draft."""
    global _hooked
    _protected[os.path.realpath(root)] = (where, draft)
    if not _hooked:  # an audit hook cannot be removed: one per process, reading _protected
        sys.addaudithook(_audit)
        _hooked = True


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _protected or getattr(_guard, "busy", False):
        return
    if event == "open":
        path, mode, flags = args
        writes = (mode is not None and any(m in str(mode) for m in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writes:
            _refuse_under(path)
    elif event in _PATH_EVENTS:
        for path in args[: _PATH_EVENTS[event]]:
            _refuse_under(path)


def _refuse_under(path: Any) -> None:
    if isinstance(path, int) or path is None:
        return
    try:
        full = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return
    for root, (where, draft) in _protected.items():
        if full == root or full.startswith(root + os.sep):
            raise PermissionError(
                errno.EACCES,
                f"this is a read-only copy of {where}: a version never changes. Write into the draft "
                f'instead, e.g. kamld.upload("out.csv", "{draft}/out.csv")',
                os.fsdecode(path),
            )


__all__ = ["VersionFolderTooLarge", "cache_root", "enter", "protect"]

"""kamld for Jupyter: the Python client (`kamld.Client`), IPython magics and the server extension hooks.

In a notebook: `kamld.datasets()`, `kamld.load("iris@v1")`, `kamld.open("iris@v1/iris.csv")`,
`kamld.upload("data/", "iris/raw/")`, `kamld.snapshot("iris", "message")`, `kamld.diff("iris@v1", "iris@v2")`,
`kamld.log("iris")`, `kamld.restore("iris@v1")`, `kamld.tag("iris@v2", "prod")`, `kamld.create("iris")`,
`kamld.search("tag:classification format:csv")`,
`kamld.sql('SELECT … FROM "iris@v1".iris')`, `kamld.preview("iris@v1/iris.csv")`, `kamld.tables("iris@v1")`,
`kamld.run("train.py", inputs={"iris@v1": "data"}, outputs={"out": "model"}).wait()` (see `kamld.jobs`),
`kamld.pipeline("pipeline.yaml").wait()` (see `kamld.pipelines`).

Nothing here imports jupyter_server: kernels import this package, and only the Jupyter server loads
`kamld.server` (named as a string below, imported when the server loads the extension).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .api import (
    access,
    branch,
    create,
    datasets,
    diff,
    get_client,
    load,
    log,
    ls,
    merge,
    open,
    restore,
    search,
    set_client,
    set_visibility,
    share,
    snapshot,
    tag,
    upload,
)
from .client import Client
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DatasetNotFound,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    KamldError,
    MergeConflict,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from .jobs import Job, run
from .pipelines import PipelineRun, pipeline
from .query import preview, save_sql, sql, tables
from .refs import ShortRef, parse_short_ref

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "Client",
    "DataLoss",
    "DatasetNotFound",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "Job",
    "KamldError",
    "MergeConflict",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "PipelineRun",
    "ResourceExhausted",
    "ShortRef",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "__version__",
    "access",
    "branch",
    "create",
    "datasets",
    "diff",
    "get_client",
    "load",
    "load_ipython_extension",
    "log",
    "ls",
    "merge",
    "open",
    "parse_short_ref",
    "pipeline",
    "preview",
    "restore",
    "run",
    "save_sql",
    "search",
    "set_client",
    "set_visibility",
    "share",
    "snapshot",
    "sql",
    "tables",
    "tag",
    "upload",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt labextension lives in this package (used by `jupyter labextension develop`)."""
    return [{"src": "labextension", "dest": "kamld"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server extension module; a string so that importing kamld never imports jupyter_server."""
    return [{"module": "kamld.server"}]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext kamld` registers the `%kamld` line magic and the `%%kamld_sql` cell magic."""
    # IPython is imported only here: kamld itself must import fine where IPython is absent.
    from .magics import KamldMagics

    ipython.register_magics(KamldMagics)

"""The notebook side of the client: typed exceptions (one class per gRPC code, the built-in that fits, one
line in IPython), rich displays of datasets, snapshots, jobs and query results, typed snapshot fields, and
progress bars — the parts that need a sidecar against a real one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kamld
from kamld import errors
from kamld.display import DatasetInfo, SnapshotInfo, parse_time
from kamld.jobs import Job
from kamld.query import execute

from .conftest import ExternalSidecar


@pytest.fixture
def sidecar(kernel_sidecar: ExternalSidecar) -> ExternalSidecar:
    return kernel_sidecar


# -- exceptions, no sidecar needed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "builtin"),
    [
        (3, kamld.InvalidArgument, ValueError),
        (4, kamld.DeadlineExceeded, TimeoutError),
        (5, kamld.NotFound, LookupError),
        (7, kamld.PermissionDenied, PermissionError),
        (12, kamld.Unimplemented, NotImplementedError),
        (14, kamld.Unavailable, ConnectionError),
        (16, kamld.Unauthenticated, PermissionError),
        (6, kamld.AlreadyExists, kamld.KamldError),
        (9, kamld.FailedPrecondition, kamld.KamldError),
        (13, kamld.Internal, kamld.KamldError),
    ],
)
def test_error_class_by_code(code: int, cls: type[Exception], builtin: type[Exception]) -> None:
    err = errors.error_for(code, "boom")
    assert type(err) is cls
    assert isinstance(err, builtin)
    assert isinstance(err, kamld.KamldError)
    assert err.code == code
    assert str(err).endswith(": boom")
    if isinstance(err, OSError):
        assert err.errno is None, "a gRPC code is no errno"


def test_error_class_by_reason_and_status_json() -> None:
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "DATASET_NOT_FOUND",
        "domain": "kamld.dev",
    }
    err = kamld.KamldError.from_status_json({"code": 5, "message": "no dataset x", "details": [info]})
    assert isinstance(err, kamld.DatasetNotFound)
    assert isinstance(err, kamld.NotFound)
    merge = errors.error_for(9, "conflict", [{**info, "reason": "MERGE_CONFLICT"}])
    assert isinstance(merge, kamld.MergeConflict)
    # A reason whose class does not belong to the code keeps the code's class.
    assert type(errors.error_for(3, "x", [info])) is kamld.InvalidArgument
    assert type(errors.error_for(99, "x")) is kamld.KamldError
    assert err._render_traceback_() == ["DatasetNotFound: NOT_FOUND (5): no dataset x"]


# -- against the sidecar ----------------------------------------------------------------------------------


def test_typed_errors_from_the_sidecar(sidecar: ExternalSidecar) -> None:
    with pytest.raises(kamld.NotFound):
        kamld.get_client().get_dataset("no-such-dataset")
    kamld.create("twice")
    with pytest.raises(kamld.AlreadyExists):
        kamld.create("twice")
    with pytest.raises(kamld.InvalidArgument) as bad:
        kamld.get_client().create_dataset("Bad Name!")
    assert bad.value.field_violations, "names the wrong field"
    with pytest.raises(kamld.FailedPrecondition):
        kamld.snapshot("twice")  # nothing in the draft


def test_dataset_and_snapshot_display_and_typed_fields(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    created = kamld.create("cards", description="<b>not bold</b>", tags=["t1"])
    assert isinstance(created, DatasetInfo)
    assert created["name"] == "datasets/cards", "still the API's dict"
    page = created._repr_html_()
    assert "Dataset cards" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "<b>not bold</b>" not in page
    bundle = created._repr_mimebundle_()
    assert bundle["application/json"]["name"] == "datasets/cards"
    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    kamld.upload(tmp_path / "a.csv", "cards/")
    snap = kamld.snapshot("cards", "first")
    assert isinstance(snap, SnapshotInfo)
    assert snap.version == 1
    assert snap.ref == "cards@v1"
    assert snap.file_count == 1
    assert snap.create_time is not None
    assert snap.create_time.tzinfo is not None
    assert "Snapshot cards@v1" in snap._repr_html_()
    assert "kamld.load(&#x27;cards@v1&#x27;)" in snap._repr_html_()
    again = kamld.get_client().get_dataset("cards")
    assert isinstance(again, DatasetInfo)
    assert again.snapshot_count == 1
    assert "kamld.load(&quot;cards@v1&quot;)" in again._repr_html_()


def test_query_result_display(sidecar: ExternalSidecar) -> None:
    result = execute('SELECT species, NULL AS nothing FROM "iris@v1".iris LIMIT 25')
    page = result._repr_html_()
    assert "Query result" in page
    assert ">25<" in page
    assert "NULL" in page
    assert "5 more rows" in page
    assert result._repr_mimebundle_()["text/html"] == page


def test_job_display() -> None:
    data: dict[str, Any] = {
        "name": "jobs/job-abc",
        "state": "JOB_STATE_FAILED",
        "flavor": "cpu",
        "createTime": "2026-12-07T17:01:00.123456789Z",
        "events": [{"reason": "Error", "message": "exit code 1 <oops>"}],
        "outputSnapshots": ["datasets/out/snapshots/0123456789abcdef"],
    }
    job = Job(data, kamld.Client.__new__(kamld.Client))
    page = job._repr_html_()
    assert "Job job-abc" in page
    assert "FAILED" in page
    assert "color:var(--jp-error-color1" in page
    assert "exit code 1 &lt;oops&gt;" in page
    assert "out/0123456789ab" in page
    assert job._repr_mimebundle_()["application/json"]["name"] == "jobs/job-abc"
    assert parse_time(data["createTime"]) is not None


def test_progress_bars_for_upload_and_load(
    sidecar: ExternalSidecar, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    kamld.create("bars")
    (tmp_path / "b.csv").write_text("x\n" + "\n".join(str(i) for i in range(2000)) + "\n")
    kamld.upload(tmp_path / "b.csv", "bars/", progress=True)
    assert "uploading to bars/" in capsys.readouterr().err
    kamld.snapshot("bars")
    df = kamld.load("bars@v1/b.csv", progress=True)
    assert len(df) == 2000
    assert "loading bars@v1/b.csv" in capsys.readouterr().err
    # Small transfers show nothing by default.
    kamld.load("bars@v1/b.csv")
    assert capsys.readouterr().err == ""


def test_magics_modules_do_not_import_each_other() -> None:
    """magics imports job_magics (and branch_magics); they never import magics back."""
    import ast

    package = Path(kamld.__file__).parent
    for name in ("job_magics.py", "branch_magics.py"):
        tree = ast.parse((package / name).read_text())
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "magics" not in imported, name
        assert "kamld.magics" not in imported, name


def test_client_side_argument_errors_are_typed() -> None:
    """Mistakes the client finds before any request are kamld.InvalidArgument, still a ValueError."""
    with pytest.raises(kamld.InvalidArgument, match="bare dataset name"):
        kamld.create("iris@v1")
    with pytest.raises(ValueError, match="bare dataset name"):
        kamld.create("iris/path.csv")

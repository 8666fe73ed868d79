"""Branches from Python and the magics: kamld.branch, kamld.merge, uploads into "iris@exp~draft/…", refs."""

from __future__ import annotations

from pathlib import Path

import pytest

import kamld
from kamld import magics
from kamld.refs import draft_branch, parse_short_ref, validate_ref

from .conftest import ExternalSidecar
from .test_datasets_client import sidecar  # noqa: F401 (the kernel's view of a fresh sidecar)


def put(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_branch_refs_parse_like_the_sidecar() -> None:
    assert parse_short_ref("iris@exp~draft/a.csv").ref == "exp~draft"
    assert draft_branch("exp~draft") == "exp"
    assert draft_branch("draft") == ""
    assert draft_branch("v3") is None
    for bad in ("~draft", "v3~draft", "Exp~draft", "a~b", "draft~draft"):
        with pytest.raises(ValueError, match=r"not a ref|branch"):
            validate_ref(bad)


def test_branch_write_snapshot_merge_with_conflicts(
    sidecar: ExternalSidecar,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    kamld.create("petals")
    kamld.upload(put(tmp_path, "a.csv", "a,1\n"), "petals/a.csv")
    kamld.snapshot("petals")
    created = kamld.branch("petals@v1", "exp")
    assert created["headVersion"] == "v1"
    with pytest.raises(kamld.KamldError) as exc:
        kamld.branch("petals", "exp")
    assert exc.value.code_name == "ALREADY_EXISTS"

    kamld.upload(put(tmp_path, "a2.csv", "a,exp\n"), "petals@exp~draft/a.csv")
    kamld.upload(put(tmp_path, "b.csv", "b\n"), "petals@exp~draft/")
    assert sorted(kamld.ls("petals@exp~draft")["path"]) == ["a.csv", "b.csv"]
    assert list(kamld.ls("petals@draft")["path"]) == ["a.csv"], "main's draft does not see exp's writes"
    snap = kamld.snapshot("petals@exp", "on exp")
    assert snap["branch"] == "exp"
    assert list(kamld.log("petals@exp")["message"]) == ["on exp", ""]

    kamld.upload(put(tmp_path, "a3.csv", "a,main\n"), "petals/a.csv")
    kamld.snapshot("petals")
    with pytest.raises(kamld.KamldError) as exc:
        kamld.merge("petals@exp")
    assert exc.value.code_name == "FAILED_PRECONDITION"
    [conflict] = exc.value.conflicts
    assert conflict["path"] == "a.csv"
    assert int(conflict["ours"]["size"]) == len("a,main\n")
    assert int(conflict["theirs"]["size"]) == len("a,exp\n")
    printed = magics.run("merge petals@exp")
    assert "a.csv" in printed
    assert "CONFLICT" in printed.upper()

    res = kamld.merge("petals@exp", "petals", theirs=["a.csv"])
    assert len(res["resolved"]) == 1
    assert kamld.open("petals/a.csv").read() == b"a,exp\n"
    assert "fast-forward" in magics.run("merge petals petals@exp")

    branches = kamld.branch("petals")
    assert sorted(branches["branch"]) == ["exp", "main"]
    assert "exp" in magics.run("branch petals")
    assert "done" in magics.run("branch petals --rename exp done")
    kamld.branch("petals@done", delete=True)
    assert list(kamld.branch("petals")["branch"]) == ["main"]
    with pytest.raises(ValueError, match="not a draft"):
        kamld.merge("petals@exp~draft")
    with pytest.raises(ValueError, match="the target is a branch"):
        kamld.merge("petals@exp", "petals@v3")
    with pytest.raises(ValueError, match="merge strategy"):
        kamld.merge("petals@exp", strategy="mine")

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
        with pytest.raises(ValueError):
            validate_ref(bad)


def test_branch_write_snapshot_merge_with_conflicts(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    kamld.create("iris")
    kamld.upload(put(tmp_path, "a.csv", "a,1\n"), "iris/a.csv")
    kamld.snapshot("iris")
    created = kamld.branch("iris@v1", "exp")
    assert created["headVersion"] == "v1"
    with pytest.raises(kamld.KamldError) as exc:
        kamld.branch("iris", "exp")
    assert exc.value.code_name == "ALREADY_EXISTS"

    kamld.upload(put(tmp_path, "a2.csv", "a,exp\n"), "iris@exp~draft/a.csv")
    kamld.upload(put(tmp_path, "b.csv", "b\n"), "iris@exp~draft/")
    assert sorted(kamld.ls("iris@exp~draft")["path"]) == ["a.csv", "b.csv"]
    assert list(kamld.ls("iris@draft")["path"]) == ["a.csv"], "main's draft does not see exp's writes"
    snap = kamld.snapshot("iris@exp", "on exp")
    assert snap["branch"] == "exp"
    assert list(kamld.log("iris@exp")["message"]) == ["on exp", ""]

    kamld.upload(put(tmp_path, "a3.csv", "a,main\n"), "iris/a.csv")
    kamld.snapshot("iris")
    with pytest.raises(kamld.KamldError) as exc:
        kamld.merge("iris@exp")
    assert exc.value.code_name == "FAILED_PRECONDITION"
    [conflict] = exc.value.conflicts
    assert conflict["path"] == "a.csv"
    assert int(conflict["ours"]["size"]) == len("a,main\n")
    assert int(conflict["theirs"]["size"]) == len("a,exp\n")
    printed = magics.run("merge iris@exp")
    assert "a.csv" in printed and "CONFLICT" in printed.upper()

    res = kamld.merge("iris@exp", "iris", theirs=["a.csv"])
    assert len(res["resolved"]) == 1
    assert kamld.open("iris/a.csv").read() == b"a,exp\n"
    assert "fast-forward" in magics.run("merge iris iris@exp")

    branches = kamld.branch("iris")
    assert sorted(branches["branch"]) == ["exp", "main"]
    assert "exp" in magics.run("branch iris")
    assert "done" in magics.run("branch iris --rename exp done")
    kamld.branch("iris@done", delete=True)
    assert list(kamld.branch("iris")["branch"]) == ["main"]
    with pytest.raises(ValueError):
        kamld.merge("iris@exp~draft")
    with pytest.raises(ValueError):
        kamld.merge("iris@exp", "iris@v3")
    with pytest.raises(ValueError):
        kamld.merge("iris@exp", strategy="mine")

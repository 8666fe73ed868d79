"""A notebook opened from a version runs beside that version's files, read-only (kamld.workdir).

A real Python kernel (jupyter_client, the kernel JupyterLab would start) runs the line the drive sends it,
then the notebook's own code: relative opens read the version's bytes, writes fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

import kamld
from kamld import workdir

from .conftest import ExternalSidecar

V1_CSV = b"sepal_length,species\n5.1,setosa\n7.0,versicolor\n"
NOTEBOOK = "kamld:nb@v1/analysis/analysis.ipynb"
# What the drive runs in the kernel (labextension/src/drive/versionKernels.ts, enterCode).
ENTER = f'__import__("kamld.workdir").workdir.enter({json.dumps(NOTEBOOK)})'


@pytest.fixture
def version(kernel_sidecar: ExternalSidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Dataset nb: v1 holds analysis/{analysis.ipynb, iris.csv, data/extra.txt}; the draft changed iris.csv
    since. Returns the version cache folder."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(workdir.CACHE_ENV, str(cache))
    src = tmp_path / "src" / "analysis"
    (src / "data").mkdir(parents=True)
    (src / "iris.csv").write_bytes(V1_CSV)
    (src / "data" / "extra.txt").write_text("extra")
    (src / "analysis.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    (tmp_path / "src" / "elsewhere.txt").write_text("not in the notebook's folder")
    kamld.create("nb")
    kamld.upload(str(tmp_path / "src"), "nb/")
    kamld.snapshot("nb", "v1")
    changed = tmp_path / "changed.csv"
    changed.write_bytes(b"the draft's iris\n")
    kamld.upload(str(changed), "nb/analysis/iris.csv")
    return cache


@pytest.fixture
def kernel(version: Path, tmp_path: Path) -> Iterator[BlockingKernelClient]:
    km: KernelManager
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=dict(os.environ))
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc: BlockingKernelClient, code: str) -> tuple[str, dict[str, Any]]:
    """Run code; its stdout and its execute_reply content."""
    out: list[str] = []

    def output(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, output_hook=output, timeout=120)
    return "".join(out), reply["content"]


def test_a_version_notebook_reads_the_version_files_beside_it(
    kernel: BlockingKernelClient, version: Path
) -> None:
    _, reply = run(kernel, ENTER)
    assert reply["status"] == "ok", reply
    out, reply = run(kernel, 'import os; print(os.getcwd()); print(open("iris.csv").read(), end="")')
    assert reply["status"] == "ok", reply
    cwd, _, text = out.partition("\n")
    assert Path(cwd).resolve().is_relative_to(version.resolve())
    assert text.encode() == V1_CSV, "the version's bytes, not the draft's"
    out, _ = run(
        kernel, 'import pandas as pd; print(pd.read_csv("iris.csv").shape, open("data/extra.txt").read())'
    )
    assert out.strip() == "(2, 2) extra"
    out, _ = run(kernel, 'import os; print(sorted(os.listdir(".")))')
    assert out.strip() == "['analysis.ipynb', 'data', 'iris.csv']", "only the notebook's folder is copied"


@pytest.mark.parametrize(
    "write",
    [
        'open("iris.csv", "w")',
        'open("new.csv", "x")',
        'import pandas as pd; pd.DataFrame({"a": [1]}).to_csv("out.csv")',
        'import os; os.remove("iris.csv")',
        'import os; os.rename("iris.csv", "b.csv")',
        'import os; os.mkdir("sub")',
        'import os; os.open("iris.csv", os.O_WRONLY)',
    ],
)
def test_writes_beside_a_version_notebook_fail(kernel: BlockingKernelClient, write: str) -> None:
    run(kernel, ENTER)
    _, reply = run(kernel, write)
    assert reply["status"] == "error"
    assert reply["ename"] == "PermissionError"
    assert "read-only copy of kamld:nb@v1" in reply["evalue"]
    assert "nb@draft" in reply["evalue"], "the message names where writes go"
    out, _ = run(kernel, 'print(open("iris.csv").read(), end="")')
    assert out.encode() == V1_CSV


def test_the_copy_is_content_addressed_and_reused(kernel: BlockingKernelClient, version: Path) -> None:
    run(kernel, ENTER)
    blobs = sorted(p.name for p in (version / "blobs").iterdir())
    assert len(blobs) == 3  # iris.csv, extra.txt, analysis.ipynb
    for blob in (version / "blobs").iterdir():
        assert blob.stat().st_mode & 0o777 == 0o444
    trees = list((version / "trees").iterdir())
    assert len(trees) == 1
    assert trees[0].name.startswith("nb@")
    # A restarted kernel (or another notebook of the same folder) finds the tree built.
    before = {p: p.stat().st_ino for p in trees[0].rglob("*")}
    _, reply = run(kernel, ENTER)
    assert reply["status"] == "ok"
    assert {p: p.stat().st_ino for p in trees[0].rglob("*")} == before


def test_a_draft_notebook_or_a_too_large_folder_is_refused_with_a_reason(
    version: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = os.getcwd()
    with pytest.raises(kamld.InvalidArgument, match="draft"):
        workdir.enter("kamld:nb@draft/analysis/analysis.ipynb")
    monkeypatch.setenv(workdir.MAX_FILES_ENV, "2")
    with pytest.raises(workdir.VersionFolderTooLarge) as exc:
        workdir.enter(NOTEBOOK)
    assert "kamld:nb@v1/analysis/ holds 3 files" in str(exc.value)
    assert "kamld.open" in str(exc.value)
    assert isinstance(exc.value, kamld.ResourceExhausted)
    assert os.getcwd() == cwd
    assert not (version / "trees").exists()

"""`kamld.search(...)` and `%kamld search` on a real sidecar, which imports the sample datasets on start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import kamld
from kamld.api import search_records
from kamld.errors import INVALID_ARGUMENT
from kamld.magics import split_search

from .conftest import ExternalSidecar

SAMPLES = ["iris", "penguins", "sample-images", "seattle-weather", "wine"]


@pytest.fixture
def sidecar(
    jp_environ: None, tmp_path: Path, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ExternalSidecar]:
    """A kernel's view of a fresh sidecar: env KAMLD_URL/KAMLD_TOKEN and a new default client."""
    runtime = tmp_path / "kernel-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    kamld.set_client(None)
    yield external_sidecar
    kamld.set_client(None)


@pytest.fixture
def shell(sidecar: ExternalSidecar) -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "kamld")
    yield ipython
    InteractiveShell.clear_instance()


def magic(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str) -> str:
    shell.run_line_magic("kamld", line)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err, captured
    return captured.out


def names(df: pd.DataFrame) -> list[str]:
    return sorted(df["name"].tolist())


def test_search_returns_a_dataframe_of_the_samples(sidecar: ExternalSidecar) -> None:
    df = kamld.search()
    assert isinstance(df, pd.DataFrame)
    assert names(df) == SAMPLES
    assert list(df.columns[:3]) == ["name", "score", "description"]
    assert str(df["updated"].dtype).startswith("datetime64")

    assert names(kamld.search("tag:classification")) == ["iris", "penguins", "wine"]
    assert names(kamld.search("format:parquet")) == ["penguins", "wine"]
    assert names(kamld.search("format:csv")) == ["iris"]
    assert names(kamld.search("seattle")) == ["seattle-weather"]
    assert names(kamld.search('"flipper length"')) == ["penguins"]
    assert names(kamld.search("-tag:tabular")) == ["sample-images"]
    assert names(kamld.search("column:species")) == ["iris", "penguins"]
    assert names(kamld.search("column:precipitation rows:>1000")) == ["seattle-weather"]

    hit = kamld.search("microscopy")
    assert hit["name"].tolist() == ["sample-images"]
    assert any("microscopy" in m for m in hit["matches"][0]), (
        "matches hold the highlighted text, tags removed"
    )

    by_size = kamld.search(order_by="size desc", limit=2)
    assert by_size["name"].tolist()[0] == "sample-images"
    assert len(by_size) == 2


def test_search_pages_through_many_results(sidecar: ExternalSidecar) -> None:
    for i in range(12):
        kamld.create(f"bulk-{i:02d}", tags=["bulk"])
    rows = search_records("tag:bulk", order_by="name", limit=11)
    assert [r["name"] for r in rows] == [f"bulk-{i:02d}" for i in range(11)]
    assert len(kamld.search("tag:bulk", limit=1000)) == 12


def test_search_reflects_writes(sidecar: ExternalSidecar) -> None:
    kamld.create("fresh", description="brand new quarterly revenue", tags=["finance"])
    assert names(kamld.search("quarterly revenue")) == ["fresh"]
    kamld.get_client().update_dataset("fresh", tags=["accounting"])
    assert names(kamld.search("tag:accounting")) == ["fresh"]
    assert kamld.search("tag:finance").empty


def test_bad_queries_raise_with_the_position(sidecar: ExternalSidecar) -> None:
    with pytest.raises(kamld.KamldError) as err:
        kamld.search('churn "unbalanced')
    assert err.value.code == INVALID_ARGUMENT
    [(field, desc)] = err.value.field_violations
    assert field == "query"
    assert "position 7" in desc
    with pytest.raises(ValueError, match="limit must be positive"):
        kamld.search(limit=0)


def test_client_suggest(sidecar: ExternalSidecar) -> None:
    values = kamld.get_client().suggest_values("tag", "cl")
    assert [v["value"] for v in values] == ["classification", "clustering", "climate"]
    assert values[0]["count"] == "3"


def test_magic_search(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    out = magic(shell, capsys, 'search "tag:classification format:parquet"')
    header, *rows = out.splitlines()
    assert header.split()[:2] == ["name", "score"]
    assert sorted(r.split()[0] for r in rows) == ["penguins", "wine"]

    out = magic(shell, capsys, "search column:proline")
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["wine"]

    out = magic(shell, capsys, 'search "flipper length" -tag:csv')
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["penguins"]

    out = magic(shell, capsys, "search --order name --limit 2 tag:tabular")
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["iris", "penguins"]

    assert magic(shell, capsys, "search nothing-matches-this").strip() == "no datasets match"
    out = magic(shell, capsys, "search colour:red")
    assert out.startswith("kamld: INVALID_ARGUMENT (3)")
    assert "position 1" in out
    assert "%kamld search" in magic(shell, capsys, "help search")


def test_split_search_keeps_the_query_as_typed() -> None:
    assert split_search(' "customer churn"') == ([], "customer churn")
    assert split_search('tag:x "big data"') == ([], 'tag:x "big data"')
    assert split_search("--order updated --limit=5 -tag:x") == (
        ["--order", "updated", "--limit", "5"],
        "-tag:x",
    )
    assert split_search("--order 'size asc' x") == (["--order", "size asc"], "x")

"""kamld.sql, %%kamld_sql, kamld.preview and %kamld preview against the real sidecar (DuckDB in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import kamld
from kamld.errors import KamldError
from kamld.query import pandas_dtype, to_frame

from .conftest import ExternalSidecar

GROUP_BY = (
    "SELECT species, count(*) AS n, round(avg(petal_length_cm), 3) AS avg_pl\n"
    'FROM "iris@v1".iris GROUP BY species ORDER BY species'
)


@pytest.fixture
def sidecar(kernel_sidecar: ExternalSidecar) -> ExternalSidecar:
    return kernel_sidecar


@pytest.fixture
def shell(
    sidecar: ExternalSidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InteractiveShell]:
    runtime = tmp_path / "kernel-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "kamld")
    yield ipython
    InteractiveShell.clear_instance()


def test_sql_returns_a_typed_dataframe(sidecar: ExternalSidecar) -> None:
    df = kamld.sql(GROUP_BY)
    assert list(df.columns) == ["species", "n", "avg_pl"]
    assert str(df["species"].dtype) == "string"
    assert str(df["n"].dtype) == "Int64"
    assert str(df["avg_pl"].dtype) == "float64"
    assert df["species"].tolist() == ["setosa", "versicolor", "virginica"]
    assert df["n"].tolist() == [50, 50, 50]
    assert df["avg_pl"].tolist() == [1.462, 4.26, 5.552]
    assert df.attrs["stats"]["engine"] == "duckdb"
    assert df.attrs["truncated"] is False


def test_sql_dates_booleans_nulls_and_big_integers(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    kamld.create("typed")
    src = tmp_path / "t.csv"
    src.write_text("id,big,day,ok\n1,9007199254740993,2024-01-02,true\n2,,2024-03-04,\n")
    kamld.upload(src, "typed/t.csv")
    kamld.snapshot("typed", "types")
    df = kamld.sql('SELECT * FROM "typed@v1".t ORDER BY id')
    assert str(df["big"].dtype) == "Int64"
    assert df["big"].iloc[0] == 9007199254740993, "no precision lost beyond 2^53"
    assert pd.isna(df["big"].iloc[1])
    assert str(df["day"].dtype).startswith("datetime64")
    assert df["day"].iloc[1] == pd.Timestamp("2024-03-04")
    assert str(df["ok"].dtype) == "boolean"
    assert pd.isna(df["ok"].iloc[1])


def test_sql_errors_are_kamld_errors_with_positions(sidecar: ExternalSidecar) -> None:
    with pytest.raises(KamldError) as bad:
        kamld.sql("SELECT 1; DROP TABLE x")
    assert bad.value.code_name == "INVALID_ARGUMENT"
    assert any(f == "sql" and "line 1, column" in d for f, d in bad.value.field_violations)
    with pytest.raises(KamldError) as missing:
        kamld.sql('SELECT * FROM "iris@v99".iris')
    assert missing.value.code_name == "NOT_FOUND"
    with pytest.raises(KamldError) as slow:
        kamld.sql(
            "SELECT sum(a.sepal_length_cm * b.sepal_width_cm * c.petal_length_cm * d.petal_width_cm) "
            'FROM "iris@v1".iris a, "iris@v1".iris b, "iris@v1".iris c, "iris@v1".iris d, range(1000000) r',
            timeout=0.3,
        )
    assert slow.value.code_name == "DEADLINE_EXCEEDED"


def test_sql_max_rows(sidecar: ExternalSidecar) -> None:
    df = kamld.sql('SELECT * FROM "iris@v1"', max_rows=7)
    assert len(df) == 7
    assert df.attrs["truncated"] is True


def test_cell_magic_assigns_with_o(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    result = shell.run_cell_magic("kamld_sql", "-o by_species", GROUP_BY)
    assert isinstance(result, pd.DataFrame)
    df = shell.user_ns["by_species"]
    assert df is result
    assert str(df["n"].dtype) == "Int64"
    assert df["n"].sum() == 150
    out = capsys.readouterr().out
    assert "Traceback" not in out


def test_cell_magic_raises_the_typed_error(shell: InteractiveShell) -> None:
    with pytest.raises(kamld.InvalidArgument) as bad:
        shell.run_cell_magic("kamld_sql", "", "DELETE FROM x")
    assert isinstance(bad.value, ValueError), "also the built-in exception that fits"
    with pytest.raises(kamld.DatasetNotFound) as missing:
        shell.run_cell_magic("kamld_sql", "", 'SELECT * FROM "no_such_dataset"')
    assert isinstance(missing.value, kamld.NotFound)
    assert isinstance(missing.value, LookupError)
    with pytest.raises(ValueError, match="variable name"):
        shell.run_cell_magic("kamld_sql", "-o 1bad", "SELECT 1")


def test_failing_cell_stops_the_run_with_one_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a notebook run, the failing %%kamld_sql cell is the one that fails, with one line and no client
    internals (IPython uses the error's _render_traceback_)."""
    result = shell.run_cell('%%kamld_sql -o df\nSELECT * FROM "no_such_dataset"')
    assert isinstance(result.error_in_exec, kamld.DatasetNotFound)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "DatasetNotFound: NOT_FOUND (5)" in text
    assert "Traceback" not in text
    assert "client.py" not in text
    assert len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_preview(
    sidecar: ExternalSidecar, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    df = kamld.preview("iris@v1/iris.csv", limit=5)
    assert len(df) == 5
    assert str(df["sepal_length_cm"].dtype) == "float64"
    assert df.attrs["truncated"] is True
    shell.run_line_magic("kamld", "preview iris@v1/iris.csv -n 3")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
        "species",
    ]
    assert lines[1].split() == ["5.1", "3.5", "1.4", "0.2", "setosa"]
    assert lines[-1] == "(first 3 rows)"
    shell.run_line_magic("kamld", "preview iris@v1/nope.csv")
    assert capsys.readouterr().out.startswith("kamld: ")


def test_tables(sidecar: ExternalSidecar) -> None:
    tables = kamld.tables("iris@v1")
    assert [t["name"] for t in tables] == ["iris"]
    assert tables[0]["rowCount"] == "150"
    assert [c["type"] for c in tables[0]["columns"]][:1] == ["DOUBLE"]


def test_dtype_mapping_without_a_sidecar() -> None:
    assert pandas_dtype("DECIMAL(10,0)") == "Int64"
    assert pandas_dtype("DECIMAL(38,0)") == "float64"
    assert pandas_dtype("DECIMAL(10,2)") == "float64"
    assert pandas_dtype("TIMESTAMP WITH TIME ZONE") == "datetime64[ns, UTC]"
    assert pandas_dtype("ARRAY(BIGINT)") == "object"
    df = to_frame([("b", "BLOB"), ("x", "DOUBLE")], [["aGk=", "NaN"], [None, 1.5]])
    assert df["b"].tolist()[0] == b"hi"
    assert pd.isna(df["x"].iloc[0])


def test_save_sql_stores_a_snapshot_and_reads_back(sidecar: ExternalSidecar) -> None:
    out = kamld.save_sql(GROUP_BY, "iris-by-species/by_species.parquet", message="counts")
    assert out["rows"] == "3"
    assert out["snapshot"]["version"] == "v1"
    assert out["snapshot"]["message"] == "counts"
    df = kamld.sql('SELECT * FROM "iris-by-species@v1".by_species ORDER BY species')
    assert df["species"].tolist() == ["setosa", "versicolor", "virginica"]
    assert str(df["n"].dtype) == "Int64"
    assert df["avg_pl"].tolist() == [1.462, 4.26, 5.552]
    with pytest.raises(KamldError) as err:
        kamld.save_sql(GROUP_BY, "iris-by-species/by_species.parquet")
    assert err.value.code == 6  # ALREADY_EXISTS
    with pytest.raises(KamldError) as err:
        kamld.save_sql("DROP TABLE x", "iris-by-species/x.parquet")
    assert err.value.code == 3

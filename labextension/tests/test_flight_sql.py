"""Arrow Flight SQL on the sidecar's gRPC port, through the ADBC Flight SQL driver from PyPI (pinned in
pyproject.toml): the conformance queries of sqltest give the same answers as ExecuteQuery, with the same
token, names and statement guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kamld

from .conftest import ExternalSidecar

flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")
adbc_errors = pytest.importorskip("adbc_driver_manager")

AUTH_OPTION = "adbc.flight.sql.authorization_header"


def _connect(sidecar: ExternalSidecar, token: str | None = None) -> Any:
    return flightsql.connect(
        f"grpc://{sidecar.grpc_addr}",
        db_kwargs={AUTH_OPTION: f"Bearer {token or sidecar.token}"},
        autocommit=True,
    )


def _rows(conn: Any, statement: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(statement)
        return [tuple(r) for r in cur.fetchall()]


def test_conformance_queries_answer_as_execute_query(kernel_sidecar: ExternalSidecar, tmp_path: Path) -> None:
    src = tmp_path / "types.csv"
    src.write_text(
        "id,big,price,day,ok,note\n"
        "1,9007199254740993,12.50,2024-01-02,true,first\n"
        "2,-5,0.25,2024-02-29,false,\n"
        '3,,,,,"quoted, with comma"\n'
    )
    kamld.create("mixed")
    kamld.upload(src, "mixed/types.csv")
    kamld.snapshot("mixed", "types")
    with _connect(kernel_sidecar) as conn:
        group_by = (
            "SELECT species, count(*) AS n, round(avg(petal_length_cm), 3) AS avg_pl "
            'FROM "iris@v1".iris GROUP BY species ORDER BY species'
        )
        assert _rows(conn, group_by) == [
            ("setosa", 50, 1.462),
            ("versicolor", 50, 4.26),
            ("virginica", 50, 5.552),
        ]
        for q in (
            'SELECT count(*) FROM "iris@v1".iris',
            'SELECT count(*) FROM "iris@v1"',
            'SELECT count(*) FROM "iris@v1".IRIS',
            "SELECT count(*) FROM iris.iris",
            "SELECT count(*) FROM \"iris@v1\" AS x WHERE x.species = 'setosa' OR x.species <> 'setosa'",
            'WITH t AS (SELECT * FROM "iris@v1".iris) SELECT count(*) FROM t',
        ):
            assert _rows(conn, q) == [(150,)], q
        typed = _rows(conn, 'SELECT id, big, price, day, ok, note FROM "mixed@v1".types ORDER BY id')
        assert typed[0][:3] == (1, 9007199254740993, 12.5), "BIGINT beyond 2^53 keeps its precision"
        assert str(typed[0][3]) == "2024-01-02"
        assert typed[0][4:] == (True, "first")
        assert typed[2] == (3, None, None, None, None, "quoted, with comma")
        with conn.cursor() as cur:
            cur.execute('SELECT * FROM "iris@v1".iris')
            table = cur.fetch_arrow_table()
        assert table.num_rows == 150
        assert table.schema.field("species").metadata == {b"kamld.type": b"VARCHAR"}


def test_guard_and_names_hold(kernel_sidecar: ExternalSidecar) -> None:
    with _connect(kernel_sidecar) as conn:
        for bad in ("DROP TABLE x", "SELECT 1; SELECT 2", "SELECT * FROM read_csv('/etc/passwd')"):
            with pytest.raises(adbc_errors.Error) as rejected:
                _rows(conn, bad)
            assert "INVALID_ARGUMENT" in str(rejected.value) or "InvalidArgument" in str(rejected.value), bad
        with pytest.raises(adbc_errors.Error) as missing:
            _rows(conn, 'SELECT * FROM "iris@v9".iris')
        assert "NOT_FOUND" in str(missing.value) or "NotFound" in str(missing.value)


def test_token_is_required(kernel_sidecar: ExternalSidecar) -> None:
    with pytest.raises(adbc_errors.Error) as denied, _connect(kernel_sidecar, token="wrong-token") as conn:
        _rows(conn, "SELECT 1")
    assert "UNAUTHENTICATED" in str(denied.value) or "Unauthenticated" in str(denied.value)

"""SQL results as Arrow against the real sidecar: kamld.sql reads Arrow, REST answers Arrow when asked, and
the server extension's proxy passes the Arrow body through as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
import requests

import kamld
from kamld.arrowresult import ARROW_STREAM

from .conftest import ExternalSidecar, Fetch, read_connection, wait_running

MANY = "SELECT i, i * 0.5 AS half, 'n' || i AS name FROM range(25000) t(i) ORDER BY i"


def _split(body: bytes) -> tuple[pa.Table, dict[str, object]]:
    """The Arrow stream of a body and the JSON line after it."""
    src = pa.BufferReader(body)
    with pa.ipc.open_stream(src) as reader:
        table = reader.read_all()
    end: dict[str, object] = json.loads(body[src.tell() :])
    return table, end


def test_sql_has_no_default_row_cap(kernel_sidecar: ExternalSidecar) -> None:
    df = kamld.sql(MANY)
    assert len(df) == 25000, "more than the JSON default of 10,000 rows"
    assert str(df["i"].dtype) == "Int64"
    assert str(df["half"].dtype) == "float64"
    assert str(df["name"].dtype) == "string"
    assert df["name"].iloc[24999] == "n24999"
    assert df.attrs["truncated"] is False
    assert df.attrs["stats"]["rows"] == "25000"
    capped = kamld.sql(MANY, max_rows=100)
    assert len(capped) == 100
    assert capped.attrs["truncated"] is True


def test_sql_into_polars_and_arrow(kernel_sidecar: ExternalSidecar) -> None:
    pl = pytest.importorskip("polars")
    frame = kamld.sql(
        'SELECT species, count(*) AS n FROM "iris@v1".iris GROUP BY 1 ORDER BY 1', frame="polars"
    )
    assert isinstance(frame, pl.DataFrame)
    assert frame["n"].to_list() == [50, 50, 50]
    assert frame.schema["n"] == pl.Int64
    table = kamld.sql('SELECT * FROM "iris@v1".iris', frame="arrow")
    assert table.num_rows == 150
    assert table.schema.field("species").metadata == {b"kamld.type": b"VARCHAR"}
    with pytest.raises(ValueError, match="frame="):
        kamld.sql("SELECT 1", frame="excel")


def test_sql_is_one_request_on_a_kept_connection(
    kernel_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = kamld.api.get_client()
    kamld.sql("SELECT 1")  # the session's connection is open from here on
    pool = client._session.get_adapter(client.url).poolmanager.connection_from_url(client.url)
    opened = pool.num_connections
    sent: list[str] = []
    send = client._session.send

    def counting(request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        sent.append(f"{request.method} {request.path_url}")
        return send(request, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client._session, "send", counting)
    for _ in range(3):
        assert len(kamld.sql(MANY)) == 25000
    assert sent == ["POST /v1/queries:execute"] * 3, "no other round trip per query"
    assert pool.num_connections == opened, "the connection is kept alive between queries"


def test_rest_answers_arrow_when_asked(kernel_sidecar: ExternalSidecar) -> None:
    resp = requests.post(
        f"{kernel_sidecar.url}/v1/queries:execute",
        json={"sql": 'SELECT * FROM "iris@v1".iris', "batchRows": 40},
        headers={"Authorization": f"Bearer {kernel_sidecar.token}", "Accept": ARROW_STREAM},
        timeout=60,
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == ARROW_STREAM
    assert resp.headers["X-Kamld-Query"].startswith("queries/")
    table, end = _split(resp.content)
    assert table.num_rows == 150
    assert [b.num_rows for b in table.to_batches()] == [40, 40, 40, 30]
    assert end["stats"]["rows"] == "150"  # type: ignore[index]
    # Errors before the first row are ordinary JSON errors with their status.
    bad = requests.post(
        f"{kernel_sidecar.url}/v1/queries:execute",
        json={"sql": "DROP TABLE x"},
        headers={"Authorization": f"Bearer {kernel_sidecar.token}", "Accept": ARROW_STREAM},
        timeout=60,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == 3
    # Without the Accept header, the JSON stream as before.
    plain = requests.post(
        f"{kernel_sidecar.url}/v1/queries:execute",
        json={"sql": "SELECT 1 AS one"},
        headers={"Authorization": f"Bearer {kernel_sidecar.token}"},
        timeout=60,
    )
    assert plain.headers["Content-Type"].startswith("application/json")


async def test_proxy_passes_arrow_through(jp_fetch: Fetch, connection_file: Path) -> None:
    await wait_running(jp_fetch)
    body = json.dumps({"sql": MANY, "maxRows": "100000"})
    proxied = await jp_fetch(
        "kamld", "api", "v1", "queries:execute", method="POST", body=body, headers={"Accept": ARROW_STREAM}
    )
    assert proxied.code == 200
    assert proxied.headers["Content-Type"] == ARROW_STREAM
    assert proxied.headers["X-Kamld-Query"].startswith("queries/")
    conn = read_connection(connection_file)
    direct = requests.post(
        f"{conn['url']}/v1/queries:execute",
        data=body,
        headers={"Authorization": f"Bearer {conn['token']}", "Accept": ARROW_STREAM},
        timeout=60,
    )
    via_proxy, end = _split(proxied.body)
    assert via_proxy.num_rows == 25000
    assert end["stats"]["rows"] == "25000"  # type: ignore[index]
    stream_end = proxied.body.rindex(b'{"stats":')
    assert proxied.body[:stream_end] == direct.content[: direct.content.rindex(b'{"stats":')], (
        "the Arrow bytes arrive as the sidecar sent them"
    )

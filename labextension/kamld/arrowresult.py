"""SQL results as Arrow: ExecuteQuery over REST with `Accept: application/vnd.apache.arrow.stream`.

The body is one Arrow IPC stream (schema, record batches, end-of-stream marker) followed by one JSON line,
{"stats": …}; a query that fails once rows were sent ends with {"error": …} instead of the marker
(docs/arrow.md). The columns come from the engine as Arrow, so nothing is converted value by value here:
pyarrow reads the stream and hands it to pandas or Polars column by column.

No jupyter_server import here: this runs inside kernels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
import urllib3

from .client import Client
from .errors import KamldError, error_for

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

ARROW_STREAM = "application/vnd.apache.arrow.stream"
# A DataFrame load has no row cap of its own: it asks for the sidecar's maxima (query.proto).
ALL_ROWS = 10_000_000
ALL_BYTES = 1 << 30
# The Arrow field metadata key holding a column's SQL type.
TYPE_KEY = b"kamld.type"


@dataclass
class ArrowResult:
    """A finished query as an Arrow table, with the sidecar's stats and the query's name."""

    table: pa.Table
    stats: dict[str, Any] = field(default_factory=dict)
    query: str = ""

    @property
    def truncated(self) -> bool:
        return bool(self.stats.get("truncated"))


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError as exc:
        raise ImportError(
            "kamld.sql reads results as Arrow, but pyarrow is not installed: "
            "pip install 'kamld[dataframes]' (or pip install pandas pyarrow)"
        ) from exc
    return pa


def execute_arrow(
    statement: str,
    *,
    max_rows: int | None,
    timeout: float,
    query_id: str | None = None,
    client: Client,
) -> ArrowResult:
    """Run one read-only statement and read its whole result as an Arrow table.

    Without `max_rows`, every row (up to the sidecar's maximum of 10,000,000 rows and 1 GiB).
    Errors are KamldError, as for JSON results.
    """
    pa = _pyarrow()
    body: dict[str, Any] = {
        "sql": statement,
        "timeout": f"{timeout:g}s",
        "maxRows": str(ALL_ROWS if max_rows is None else max_rows),
        "maxBytes": str(ALL_BYTES),
    }
    if query_id:
        body["queryId"] = query_id
    resp = client.send(
        "POST",
        "/v1/queries:execute",
        json=body,
        headers={"Accept": ARROW_STREAM},
        stream=True,
        timeout=timeout + 30,
    )
    with resp:
        if not resp.headers.get("Content-Type", "").startswith(ARROW_STREAM):
            raise error_for(13, f"the sidecar answered {resp.headers.get('Content-Type')!r}, not Arrow")
        data = _read_body(resp)
        query = resp.headers.get("X-Kamld-Query", "")
    src = pa.BufferReader(data)
    try:
        with pa.ipc.open_stream(src) as reader:
            table = reader.read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise _trailing_error(data) from exc
    end = json.loads(bytes(data[src.tell() :]) or b"{}")
    if "error" in end:
        raise _status_error(end["error"])
    return ArrowResult(table=table, stats=end.get("stats") or {}, query=query)


def _read_body(resp: requests.Response) -> bytes:
    """The whole body in one read: urllib3 undoes the chunked framing (and any Content-Encoding) itself, where
    requests' iter_content costs a Python call and a copy per piece. The connection goes back to the
    session's pool for the next query."""
    try:
        body: bytes = resp.raw.read(decode_content=True)
        return body
    except urllib3.exceptions.HTTPError as exc:
        raise error_for(14, f"the connection to the sidecar broke while reading the result: {exc}") from exc


def _trailing_error(data: bytes) -> KamldError:
    """The error line that replaced the end of a stream cut short by a failed query."""
    at = data.rfind(b'{"error":')
    if at >= 0:
        try:
            return _status_error(json.loads(data[at:])["error"])
        except (ValueError, KeyError):
            pass
    return error_for(13, "the sidecar's Arrow stream ended early and said no more")


def _status_error(status: Any) -> KamldError:
    err = KamldError.from_status_json(status)
    return err if err is not None else error_for(13, f"query failed: {status}")


# -- DataFrames -----------------------------------------------------------------------------------------


def _numeric_decimals(table: pa.Table) -> pa.Table:
    """DECIMAL columns as the numbers pandas holds: integers when they fit Int64, else float64."""
    pa = _pyarrow()
    for i, f in enumerate(table.schema):
        t = f.type
        if pa.types.is_decimal(t):
            target = pa.int64() if t.scale == 0 and t.precision <= 18 else pa.float64()
            table = table.set_column(i, f.with_type(target), table.column(i).cast(target))
    return table


def to_pandas(table: pa.Table) -> Any:
    """A DataFrame with the dtypes of the columns' SQL types: BIGINT Int64, DOUBLE float64, BOOLEAN boolean,
    VARCHAR string, DATE/TIMESTAMP datetime64[ns], TIMESTAMP WITH TIME ZONE datetime64[ns, UTC]."""
    from .api import _pandas

    pd = _pandas()
    pa = _pyarrow()
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    df = _numeric_decimals(table).to_pandas(
        types_mapper=mapping.get, date_as_object=False, coerce_temporal_nanoseconds=True
    )
    return df


def to_polars(table: pa.Table) -> Any:
    """A Polars DataFrame of the table (Polars reads Arrow as it is)."""
    try:
        import polars as pl
    except ImportError as exc:
        raise ImportError("frame='polars' needs Polars: pip install 'kamld[polars]'") from exc
    return pl.from_arrow(table)

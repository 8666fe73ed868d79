"""SQL over datasets from a notebook: `kamld.sql("…")` and `kamld.preview("iris@v1/iris.csv")` return pandas
DataFrames whose dtypes follow the columns' SQL types; `kamld.tables("iris@v1")` lists what SQL sees.

Naming in SQL (QueryService): a dataset at a ref is a schema, quoted when it has '@' or '-' ("iris@v3"); each
tabular file is a table named by its path without extension, '/' replaced by '__'; a dataset with one table
can be queried by the schema alone:  SELECT species, count(*) FROM "iris@v1".iris GROUP BY 1

No jupyter_server import here: this runs inside kernels.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .client import Client
from .display import query_html
from .errors import KamldError, error_for, invalid_argument
from .refs import parse_short_ref

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# How long a query may run unless told otherwise (the sidecar's own default is 5 minutes).
DEFAULT_QUERY_TIMEOUT = 300.0


@dataclass
class QueryResult:
    """A finished query: its columns (name, SQL type), rows as JSON values, and the sidecar's stats."""

    columns: list[tuple[str, str]]
    rows: list[list[Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    query: str = ""

    @property
    def truncated(self) -> bool:
        return bool(self.stats.get("truncated"))

    def to_pandas(self) -> pd.DataFrame:
        return to_frame(self.columns, self.rows)

    def _repr_html_(self) -> str:
        return query_html(self.columns, self.rows, self.stats)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}


def execute(
    statement: str,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    query_id: str | None = None,
    client: Client | None = None,
) -> QueryResult:
    """Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN) and collect its streamed result.

    Errors are KamldError: INVALID_ARGUMENT with the line and column for a rejected or wrong statement,
    NOT_FOUND for an unknown dataset or ref, DEADLINE_EXCEEDED after `timeout` seconds.
    """
    from .api import get_client

    c = client if client is not None else get_client()
    seconds = DEFAULT_QUERY_TIMEOUT if timeout is None else timeout
    body: dict[str, Any] = {"sql": statement, "timeout": f"{seconds:g}s"}
    if max_rows is not None:
        body["maxRows"] = str(max_rows)
    if query_id:
        body["queryId"] = query_id
    # The first bytes come when the engine has the first rows: wait as long as the query may run.
    resp = c.send("POST", "/v1/queries:execute", json=body, stream=True, timeout=seconds + 30)
    result = QueryResult(columns=[])
    with resp:
        for msg in _messages(resp.iter_lines()):
            if "schema" in msg:
                schema = msg["schema"]
                result.query = schema.get("query", "")
                result.columns = [
                    (col.get("name", ""), col.get("type", "")) for col in schema.get("columns") or []
                ]
            elif "batch" in msg:
                result.rows.extend(msg["batch"].get("rows") or [])
            elif "stats" in msg:
                result.stats = msg["stats"]
    return result


def _messages(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """The results of the gateway's newline-delimited stream; an error line becomes a KamldError."""
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        if "error" in item:
            err = KamldError.from_status_json(item["error"])
            raise err if err is not None else error_for(13, f"query failed: {item['error']}")
        yield item.get("result") or {}


def sql(
    statement: str,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    frame: str = "pandas",
    client: Client | None = None,
) -> Any:
    """A DataFrame with the result of one read-only SQL statement over datasets, e.g.

    kamld.sql('SELECT species, avg(petal_length_cm) FROM "iris@v1".iris GROUP BY 1')

    The result travels as Arrow and is read column by column. Dtypes follow the SQL types: BIGINT → Int64,
    DOUBLE → float64, BOOLEAN → boolean, VARCHAR → string, DATE/TIMESTAMP → datetime64. Every row unless
    `max_rows` says otherwise; `df.attrs` holds the stats (rows, elapsed, truncated, engine).
    `frame="polars"` returns a Polars DataFrame instead (no attrs there), `frame="arrow"` the pyarrow Table.
    """
    from .api import get_client
    from .arrowresult import execute_arrow, to_pandas, to_polars

    if frame not in ("pandas", "polars", "arrow"):
        raise invalid_argument(f"frame={frame!r}: use 'pandas', 'polars' or 'arrow'")
    c = client if client is not None else get_client()
    seconds = DEFAULT_QUERY_TIMEOUT if timeout is None else timeout
    res = execute_arrow(statement, max_rows=max_rows, timeout=seconds, client=c)
    if frame == "arrow":
        return res.table
    if frame == "polars":
        return to_polars(res.table)
    df = to_pandas(res.table)
    df.attrs["stats"] = res.stats
    df.attrs["truncated"] = res.truncated
    return df


def save_sql(
    statement: str,
    to: str,
    *,
    message: str = "",
    create_dataset: bool = True,
    overwrite: bool = False,
    max_rows: int | None = None,
    timeout: float | None = None,
    client: Client | None = None,
) -> dict[str, Any]:
    """Store a query's whole result as a Parquet file in a dataset and snapshot it, e.g.

    kamld.save_sql('SELECT species, count(*) AS n FROM "iris@v1".iris GROUP BY 1', "iris-stats/n.parquet")

    `to` is "dataset/path.parquet". The server runs the query (SELECT or WITH only) and writes the file
    itself; the snapshot captures the dataset's whole draft. Returns the answer: snapshot (with its
    version), file, rows. Errors are KamldError: INVALID_ARGUMENT for the statement, the path or a result
    over `max_rows`, NOT_FOUND for a missing dataset when `create_dataset` is false, ALREADY_EXISTS for an
    existing file unless `overwrite`.
    """
    from .api import get_client

    r = parse_short_ref(to)
    if not r.path or r.is_folder or r.ref:
        raise invalid_argument(f"{to!r} names no file to write: write dataset/path/to/file.parquet")
    c = client if client is not None else get_client()
    seconds = DEFAULT_QUERY_TIMEOUT if timeout is None else timeout
    body: dict[str, Any] = {
        "sql": statement,
        "dataset": f"datasets/{r.dataset}",
        "path": r.path,
        "message": message,
        "createDataset": create_dataset,
        "overwrite": overwrite,
        "timeout": f"{seconds:g}s",
    }
    if max_rows is not None:
        body["maxRows"] = str(max_rows)
    resp = c.send("POST", "/v1/queries:save", json=body, timeout=seconds + 30)
    out: dict[str, Any] = resp.json()
    return out


def preview_result(ref: str, *, limit: int = 100, client: Client | None = None) -> QueryResult:
    """PreviewFile as a QueryResult (no pandas needed); stats hold truncated and totalRows."""
    from .api import get_client

    r = parse_short_ref(ref)
    if not r.path or r.is_folder:
        raise invalid_argument(f"{ref!r} names no file: write dataset[@ref]/path/to/file.csv")
    c = client if client is not None else get_client()
    resp = c.request(
        "GET",
        f"/v1/datasets/{quote(r.dataset, safe='')}/preview/{quote(r.path, safe='/')}",
        params={"ref": r.ref, "limit": limit},
    )
    columns = [(col.get("name", ""), col.get("type", "")) for col in resp.get("columns") or []]
    stats = {"truncated": bool(resp.get("truncated")), "totalRows": resp.get("totalRows") or "0"}
    return QueryResult(columns=columns, rows=resp.get("rows") or [], stats=stats)


def preview(ref: str, *, limit: int = 100, client: Client | None = None) -> pd.DataFrame:
    """The first `limit` rows of a tabular file: "dataset[@ref]/path" (CSV, TSV, Parquet, JSON lines)."""
    res = preview_result(ref, limit=limit, client=client)
    df = res.to_pandas()
    resp = res.stats
    df.attrs["truncated"] = bool(resp.get("truncated"))
    df.attrs["total_rows"] = int(resp.get("totalRows") or 0)
    return df


def tables(ref: str, *, client: Client | None = None) -> list[dict[str, Any]]:
    """The tables of "dataset[@ref]" as SQL sees them: name, path, format, rowCount and columns."""
    from .api import get_client

    r = parse_short_ref(ref)
    c = client if client is not None else get_client()
    resp = c.request("GET", f"/v1/datasets/{quote(r.dataset, safe='')}/tables", params={"ref": r.ref})
    out: list[dict[str, Any]] = resp.get("tables") or []
    return out


# -- types ----------------------------------------------------------------------------------------------


def _pandas() -> Any:
    from .api import _pandas as load_pandas

    return load_pandas()


def pandas_dtype(sql_type: str) -> str:
    """The pandas dtype for a column of an SQL type (dialect of common.proto Column.type)."""
    t = sql_type.upper()
    if t == "BIGINT":
        return "Int64"
    if t == "DOUBLE":
        return "float64"
    if t.startswith("DECIMAL("):
        scale = t.rstrip(")").split(",")[-1].strip()
        return "Int64" if scale == "0" and _precision(t) <= 18 else "float64"
    if t == "BOOLEAN":
        return "boolean"
    if t == "VARCHAR":
        return "string"
    if t == "DATE" or t == "TIMESTAMP":
        return "datetime64[ns]"
    if t == "TIMESTAMP WITH TIME ZONE":
        return "datetime64[ns, UTC]"
    return "object"


def _precision(t: str) -> int:
    try:
        return int(t.split("(", 1)[1].split(",", 1)[0])
    except (IndexError, ValueError):
        return 38


def _convert(sql_type: str, value: Any) -> Any:
    """A JSON value of the result as the Python value its column holds."""
    if value is None:
        return None
    t = sql_type.upper()
    if t == "BLOB":
        return base64.b64decode(value)
    if t == "BIGINT" or (t.startswith("DECIMAL(") and pandas_dtype(t) == "Int64"):
        return int(value)  # numbers beyond 2^53 arrive as strings to keep their precision
    if t == "DOUBLE" or t.startswith("DECIMAL("):
        return float(value)  # also "NaN", "Infinity"
    return value


def to_frame(columns: list[tuple[str, str]], rows: list[list[Any]]) -> pd.DataFrame:
    """A DataFrame from result columns (name, SQL type) and JSON rows, with dtypes from the types."""
    pd = _pandas()
    data: dict[str, Any] = {}
    names = [name for name, _ in columns]
    for i, (name, typ) in enumerate(columns):
        values = [_convert(typ, row[i] if i < len(row) else None) for row in rows]
        dtype = pandas_dtype(typ)
        if dtype.startswith("datetime64"):
            series = pd.to_datetime(
                pd.Series(values, dtype="object"), utc=dtype.endswith("UTC]"), format="ISO8601"
            )
        else:
            series = pd.Series(values, dtype=dtype)
        data[name] = series
    if len(set(names)) != len(names):  # duplicate column names: build positionally
        df = pd.concat(list(data.values()), axis=1) if data else pd.DataFrame()
        df.columns = names
        return df
    return pd.DataFrame(data, columns=names)

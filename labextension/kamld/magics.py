"""IPython magics: `%load_ext kamld`, then `%kamld ls`, `%kamld snapshot iris -m "msg"`, `%kamld status`, ...

They use the same `kamld.Client` (and so the same connection lookup) as notebook code, and print text:
a mistake (bad arguments, an unknown dataset, no sidecar) prints one readable line, never a traceback.
They need neither pandas nor pyarrow.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from . import api, branch_magics, job_magics, pipeline_magics
from . import query as sqlapi
from ._version import __version__
from .client import BackendInfo, Client, SystemInfo
from .errors import KamldError
from .texttable import format_table, human_bytes

USAGE = """\
Usage: %kamld <subcommand> [arguments]

Subcommands:
  ls [dataset[@ref][/folder/]]     list datasets, or the files of a dataset at a ref
  search [--order O] [--limit N] QUERY
                                   find datasets: free text, "phrases", tag:, label:k=v, format:, owner:,
                                   column:, size:>10MB, rows:>1000, updated:>2026-01-01, -negation, OR
  snapshot <dataset> -m "message"  commit the dataset's draft as a new snapshot
  diff <dataset@ref> [<dataset@ref>]
                                   files added, removed and modified between two refs (default: the draft)
  log <dataset>                    the dataset's snapshots, newest first
  preview <dataset@ref/path> [-n N]
                                   the first rows of a CSV, TSV, Parquet or JSON-lines file
  status                           the sidecar's version, overall health and one line per backend
"""
USAGE += branch_magics.USAGE
USAGE += job_magics.USAGE
USAGE += pipeline_magics.USAGE
USAGE += """\
  help [subcommand]                this text, or one subcommand's

Refs: "iris" (latest snapshot), "iris@v3", "iris@draft", "iris@prod" (a tag), "iris@4f2a9c" (an id prefix),
"iris@exp" (branch exp's head), "iris@exp~draft" (its draft).
In Python: kamld.load("iris@v3"), kamld.open("iris@v3/train.csv"), kamld.upload(...), kamld.diff(...),
kamld.run("train.py", inputs={"iris@v3": "data"}, outputs={"out": "model"}).wait().
SQL: a %%kamld_sql cell (-o name keeps the DataFrame), or kamld.sql('SELECT … FROM "iris@v3".iris').
"""


class _UsageError(Exception):
    """Bad arguments: printed with the subcommand's usage."""


class _HelpShown(Exception):
    """-h was given and the help is printed."""


class _Parser(argparse.ArgumentParser):
    """argparse that never exits the kernel: errors and -h become exceptions the magic catches."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)

    def print_help(self, file: Any = None) -> NoReturn:
        raise _HelpShown

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise _UsageError(message.strip())
        raise _HelpShown


def _parsers() -> dict[str, argparse.ArgumentParser]:
    def parser(name: str, description: str) -> _Parser:
        return _Parser(prog=f"%kamld {name}", description=description, add_help=True)

    ls = parser("ls", "Without an argument, list the datasets; with one, list its files at the ref.")
    ls.add_argument("ref", nargs="?", help='"iris", "iris@v2", "iris@v2/images/"')
    snap = parser("snapshot", "Commit the dataset's draft (files written since the last snapshot).")
    snap.add_argument("dataset", help='the dataset, e.g. "iris"')
    snap.add_argument("-m", "--message", default="", help="what changed")
    snap.add_argument("--allow-empty", action="store_true", help="snapshot even when nothing changed")
    diff = parser("diff", "Files added, removed and modified from the first ref to the second.")
    diff.add_argument("a", metavar="FROM", help='the older ref, e.g. "iris@v1"')
    diff.add_argument("b", metavar="TO", nargs="?", help='the newer ref, e.g. "iris@v2" (default: the draft)')
    log = parser("log", "The dataset's snapshots, newest first.")
    log.add_argument("dataset", help='the dataset, e.g. "iris"')
    search = parser(
        "search",
        "Find datasets. The query is taken as typed (one pair of outer quotes dropped): free text, "
        '"phrases", tag:x, label:key=value, format:csv, owner:x, column:x, size:>10MB, size:1KB..1GB, '
        "rows:>1000, updated:>2026-01-01, created:2025-01..2025-06, -term or NOT term, a OR b, (groups).",
    )
    search.add_argument(
        "--order", default="", help='"relevance" (default), "updated", "name" or "size" [asc|desc]'
    )
    search.add_argument("--limit", type=int, default=20, help="most results to show (default 20)")
    search.add_argument("query", nargs="*", help="the query")

    prev = parser("preview", "The first rows of a tabular file (CSV, TSV, Parquet, JSON lines).")
    prev.add_argument("ref", help='"iris@v1/iris.csv"')
    prev.add_argument("-n", "--limit", type=int, default=20, help="rows to show (default 20)")
    status = parser("status", "The sidecar's version, health and backends.")
    helpp = parser("help", "Usage of %kamld or of one subcommand.")
    helpp.add_argument("subcommand", nargs="?")
    return (
        {
            "ls": ls,
            "search": search,
            "snapshot": snap,
            "diff": diff,
            "log": log,
            "preview": prev,
            "status": status,
            "help": helpp,
        }
        | branch_magics.add_parsers(parser)
        | job_magics.add_parsers(parser)
        | pipeline_magics.add_parsers(parser)
    )


def _short_health(health: str) -> str:
    """HEALTH_SERVING -> SERVING: the prefix is noise in a status table."""
    return health.removeprefix("HEALTH_") if health else "UNKNOWN"


def _backend_line(backend: BackendInfo) -> str:
    where = backend.get("location") or backend.get("message") or ""
    return (
        f"  {backend.get('capability', '?'):<9} {backend.get('backend', '?'):<10} "
        f"{_short_health(backend.get('health', '')):<14} {where}".rstrip()
    )


def format_status(info: SystemInfo, url: str) -> str:
    """The text `%kamld status` prints; a pure function so that it is easy to test."""
    lines = [
        f"kamld {info.get('version', '?')} at {url}: {_short_health(info.get('health', ''))}",
        f"  identity {info.get('identity', '?')}, api {info.get('apiVersion', '?')}, "
        f"python client {__version__}",
    ]
    if info.get("version") and info.get("version") != __version__:
        lines.append(
            f"  warning: the sidecar is {info.get('version')} but this client is {__version__}; "
            "upgrade one of them"
        )
    lines.append("backends:")
    lines.extend(_backend_line(b) for b in info.get("backends", []))
    return "\n".join(lines)


def _ls(args: argparse.Namespace) -> str:
    if not args.ref:
        rows = api.dataset_records()
        for r in rows:
            r["bytes"] = human_bytes(r["bytes"])
            r["updated"] = (r["updated"] or "")[:19].replace("T", " ")
        if not rows:
            return 'no datasets yet: kamld.create("name"), then kamld.upload(...)'
        columns = ["name", "snapshots", "files", "bytes", "updated", "owner", "tags", "description"]
        return format_table(rows, columns, {"description": 50, "tags": 30})
    files = api.file_records(args.ref)
    if not files:
        return f"{args.ref}: no files"
    for f in files:
        f["size"] = human_bytes(f["size"])
        f["modified"] = (f["modified"] or "")[:19].replace("T", " ")
    return format_table(files, ["path", "size", "media_type", "modified"], {"path": 80})


def _snapshot(args: argparse.Namespace) -> str:
    snap = api.snapshot(args.dataset, args.message, allow_empty=args.allow_empty)
    stats = snap.get("stats") or {}
    name = snap.get("name", "").split("/snapshots/")[0].removeprefix("datasets/")
    return (
        f"{name}@{snap.get('version', '?')} ({snap.get('id', '')[:12]}): {stats.get('fileCount', 0)} files, "
        f"{human_bytes(int(stats.get('totalBytes') or 0))}"
        + (f" - {snap.get('message')}" if snap.get("message") else "")
    )


def _diff(args: argparse.Namespace) -> str:
    rows = api.diff_records(args.a, args.b)
    if not rows:
        return "no changes"
    counts = {k: sum(r["change"] == k for r in rows) for k in ("added", "removed", "modified")}
    for r in rows:
        r["before"], r["after"] = human_bytes(r["size_before"]), human_bytes(r["size_after"])
    table = format_table(rows, ["change", "path", "before", "after"], {"path": 80})
    return f"{table}\n{counts['added']} added, {counts['removed']} removed, {counts['modified']} modified"


def _log(args: argparse.Namespace) -> str:
    rows = api.snapshot_records(args.dataset)
    if not rows:
        return f"{args.dataset}: no snapshots yet"
    for r in rows:
        r["id"] = r["id"][:12]
        r["created"] = (r["created"] or "")[:19].replace("T", " ")
        r["bytes"] = human_bytes(r["bytes"])
    return format_table(
        rows, ["version", "id", "created", "author", "files", "bytes", "tags", "message"], {"message": 60}
    )


_SEARCH_OPTION = re.compile(r"\s*(--order|--limit)(?:=|\s+)(\"[^\"]*\"|'[^']*'|\S+)")


def split_search(rest: str) -> tuple[list[str], str]:
    """Leading --order/--limit options of `%kamld search` as argv, and the query exactly as typed: the search
    syntax has its own quotes, which shell-style splitting would eat. One pair of outer quotes is dropped."""
    argv: list[str] = []
    while m := _SEARCH_OPTION.match(rest):
        argv += [m.group(1), m.group(2).strip("\"'")]
        rest = rest[m.end() :]
    query = rest.strip()
    if len(query) >= 2 and query[0] == query[-1] and query[0] in "\"'" and query[0] not in query[1:-1]:
        query = query[1:-1]
    return argv, query


def _search(args: argparse.Namespace) -> str:
    rows = api.search_records(args.query, order_by=args.order, limit=max(args.limit, 1))
    if not rows:
        return "no datasets match"
    for r in rows:
        r["score"] = f"{r['score']:.2f}"
        r["bytes"] = human_bytes(r["bytes"])
        r["updated"] = (r["updated"] or "")[:10]
        r["match"] = r["matches"][0] if r["matches"] else r["description"]
    columns = ["name", "score", "bytes", "updated", "owner", "tags", "match"]
    return format_table(rows, columns, {"match": 70, "tags": 30})


def _preview(args: argparse.Namespace) -> str:
    res = sqlapi.preview_result(args.ref, limit=args.limit)
    names = [name for name, _ in res.columns]
    rows = [dict(zip(names, row, strict=False)) for row in res.rows]
    table = format_table(rows, names, dict.fromkeys(names, 30))
    total = int(res.stats.get("totalRows") or 0)
    more = f"first {len(rows)} of {total} rows" if total else f"first {len(rows)} rows"
    return table + (f"\n({more})" if res.truncated else "")


def _status(args: argparse.Namespace) -> str:
    with Client() as client:
        return format_status(client.info(), client.url)


_COMMANDS: dict[str, Callable[[argparse.Namespace], str]] = {
    "ls": _ls,
    "search": _search,
    "snapshot": _snapshot,
    "diff": _diff,
    "log": _log,
    "preview": _preview,
    "status": _status,
    **branch_magics.COMMANDS,
    **job_magics.COMMANDS,
    **pipeline_magics.COMMANDS,
}


def run(line: str) -> str:
    """What `%kamld <line>` prints; never raises for bad input or kamld errors (a pure function for tests)."""
    head, _, raw_rest = line.strip().partition(" ")
    if head == "search" and not raw_rest.strip().startswith(("-h", "--help")):
        argv, query = split_search(raw_rest)
        line = shlex.join(["search", *argv, "--", query]) if query else shlex.join(["search", *argv])
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return f"%kamld: cannot parse the arguments ({exc})\n\n{USAGE}"
    command, rest = (words[0], words[1:]) if words else ("help", [])
    if command in ("-h", "--help"):
        command = "help"
    parsers = _parsers()
    parser = parsers.get(command)
    if parser is None:
        return f"%kamld: unknown subcommand {command!r}\n\n{USAGE}"
    try:
        args = parser.parse_args(rest)
    except _HelpShown:
        return parser.format_help()
    except _UsageError as exc:
        return f"{parser.prog}: {exc}\n{parser.format_usage()}"
    if command == "help":
        sub = parsers.get(args.subcommand or "")
        if args.subcommand and sub is None:
            return f"%kamld: unknown subcommand {args.subcommand!r}\n\n{USAGE}"
        return sub.format_help() if sub else USAGE
    if command == "search":
        args.query = " ".join(args.query)
    try:
        return _COMMANDS[command](args)
    except KamldError as exc:
        # The client's own argument check (a malformed ref) never went over HTTP: the caller's typo.
        if isinstance(exc, ValueError) and exc.http_status is None:
            return f"{parser.prog}: {exc}\n{parser.format_usage()}"
        return f"kamld: {exc}"
    except ValueError as exc:  # a malformed ref: the caller's typo
        return f"{parser.prog}: {exc}\n{parser.format_usage()}"
    except ImportError as exc:
        return f"kamld: {exc}"


def _sql_parser() -> _Parser:
    p = _Parser(
        prog="%%kamld_sql",
        description="Run the cell's SQL over datasets and show the result as a DataFrame.",
        add_help=True,
    )
    p.add_argument("-o", "--output", metavar="NAME", help="also assign the DataFrame to this variable")
    p.add_argument("--max-rows", type=int, default=None, help="at most this many rows (default: all)")
    p.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")
    return p


class SqlMagicUsageError(ValueError):
    """`%%kamld_sql` was given bad options. IPython shows only the message (see _render_traceback_)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def run_sql(line: str, cell: str, namespace: dict[str, Any]) -> Any:
    """What `%%kamld_sql <line>` with `cell` returns: the DataFrame. A failing query raises its typed
    kamld error (kamld.InvalidArgument, kamld.DatasetNotFound, ...) and bad options SqlMagicUsageError, so a
    notebook run stops at this cell instead of failing later on a missing variable."""
    parser = _sql_parser()
    try:
        args = parser.parse_args(shlex.split(line))
    except _HelpShown:
        print(parser.format_help())
        return None
    except (_UsageError, ValueError) as exc:
        raise SqlMagicUsageError(f"{parser.prog}: {exc}\n{parser.format_usage()}") from None
    if args.output is not None and not args.output.isidentifier():
        raise SqlMagicUsageError(f"{parser.prog}: -o needs a Python variable name, not {args.output!r}")
    try:
        df = sqlapi.sql(cell, max_rows=args.max_rows, timeout=args.timeout)
    except KamldError as exc:
        raise exc.with_traceback(None) from None  # the client's frames are no help to the notebook's author
    if args.output:
        namespace[args.output] = df
    if df.attrs.get("truncated"):
        print(f"(truncated at {len(df)} rows; use --max-rows to get more)")
    return df


@magics_class
class KamldMagics(Magics):
    """The `%kamld` line magic and the `%%kamld_sql` cell magic."""

    @line_magic
    def kamld(self, line: str) -> None:
        """%kamld ls|search|snapshot|diff|log|preview|status|run|jobs|logs|cancel|pipeline|help.

        See `%kamld help`."""
        print(run(line).rstrip("\n"))

    @cell_magic
    def kamld_sql(self, line: str, cell: str) -> Any:
        """%%kamld_sql [-o name] [--max-rows N] [--timeout S]: the cell's SQL as a DataFrame."""
        return run_sql(line, cell, self.shell.user_ns if self.shell is not None else {})

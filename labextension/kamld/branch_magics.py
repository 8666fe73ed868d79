"""The branch subcommands of `%kamld`: branch, merge (see `kamld.magics` for the rest)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from . import api
from .errors import FAILED_PRECONDITION, KamldError
from .texttable import format_table, human_bytes

USAGE = """\
  branch <dataset> [--create NAME [--from REF]] [--rename OLD NEW] [--delete NAME]
                                   list a dataset's branches, or create, rename or delete one
  merge <dataset@branch> [<dataset[@branch]>] [--strategy ours|theirs] [--ours PATH] [--theirs PATH]
                                   merge a branch (or snapshot) into a branch (default main); conflicts listed
"""


def add_parsers(parser: Callable[[str, str], argparse.ArgumentParser]) -> dict[str, argparse.ArgumentParser]:
    """The branch subcommands' parsers, built with the magics' never-exiting parser factory."""
    branch = parser("branch", "A dataset's branches: each has its own draft and history.")
    branch.add_argument("dataset", help='the dataset, e.g. "iris"')
    branch.add_argument("--create", metavar="NAME", help="create a branch (nothing is copied)")
    branch.add_argument("--from", dest="from_ref", default="", help='where it starts: "v3", a tag, a branch')
    branch.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help="rename a branch")
    branch.add_argument("--delete", metavar="NAME", help="delete a branch and its draft (snapshots stay)")
    merge = parser("merge", "Merge a branch or snapshot into a branch: fast-forward, or three-way by path.")
    merge.add_argument("source", help='"iris@exp" (a branch), "iris@v7"')
    merge.add_argument("target", nargs="?", help='"iris" (main, the default) or "iris@other"')
    merge.add_argument(
        "--strategy", default="", choices=["", "ours", "theirs"], help="resolve every conflict"
    )
    merge.add_argument("--ours", action="append", default=[], help="keep the target's version of this path")
    merge.add_argument("--theirs", action="append", default=[], help="take the source's version of this path")
    merge.add_argument("-m", "--message", default="", help="message of the merge snapshot")
    return {"branch": branch, "merge": merge}


def _branch(args: argparse.Namespace) -> str:

    ds = args.dataset
    if args.create:
        b = api.branch(f"{ds}@{args.from_ref}" if args.from_ref else ds, args.create)
        return f"{ds}@{args.create} at {b.get('headVersion') or '(no snapshot yet)'}"
    if args.rename:
        api.branch(f"{ds}@{args.rename[0]}", rename_to=args.rename[1])
        return f"{ds}@{args.rename[0]} → {ds}@{args.rename[1]}"
    if args.delete:
        api.branch(f"{ds}@{args.delete}", delete=True)
        return f"deleted {ds}@{args.delete}"
    rows = api.branch_records(ds)
    for r in rows:
        r["created"] = (r["created"] or "")[:19].replace("T", " ")
        r["default"] = "yes" if r["default"] else ""
    return format_table(rows, ["branch", "head", "default", "author", "created"], {})


def format_conflicts(conflicts: Sequence[dict[str, Any]]) -> str:
    """One line per conflicting path: both sides' digest (12 hex) and size, or "(absent)"."""

    def side(f: Any) -> str:
        if not isinstance(f, dict):
            return "(absent)"
        return (
            f"{str(f.get('digest', '')).removeprefix('sha256:')[:12]} {human_bytes(int(f.get('size') or 0))}"
        )

    rows = [
        {"conflict": c.get("path", ""), "ours": side(c.get("ours")), "theirs": side(c.get("theirs"))}
        for c in conflicts
    ]
    return format_table(rows, ["conflict", "ours", "theirs"], {"conflict": 80})


def _merge(args: argparse.Namespace) -> str:
    try:
        res = api.merge(
            args.source,
            args.target,
            strategy=args.strategy,
            ours=args.ours,
            theirs=args.theirs,
            message=args.message,
        )
    except KamldError as exc:
        if exc.code == FAILED_PRECONDITION and exc.conflicts:
            return f"kamld: {exc.message}\n{format_conflicts(exc.conflicts)}"
        raise
    snap = res.get("snapshot") or {}
    if res.get("upToDate"):
        head = f"already up to date at {snap.get('version', '?')}"
    elif res.get("fastForward"):
        head = f"fast-forward to {snap.get('version', '?')}"
    else:
        head = f"merged as {snap.get('version', '?')} ({str(snap.get('id', ''))[:12]})"
    st = res.get("stats") or {}
    return (
        f"{head}: {int(st.get('added') or 0)} added, {int(st.get('removed') or 0)} removed, "
        f"{int(st.get('modified') or 0)} modified; {len(res.get('resolved') or [])} conflicts resolved"
    )


COMMANDS: dict[str, Callable[[argparse.Namespace], str]] = {"branch": _branch, "merge": _merge}

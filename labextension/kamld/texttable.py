"""Plain-text tables for the magics' output (`%kamld ls`, `jobs`, `branches`, ...): one module that magics,
job_magics and branch_magics all import, so none of them imports another for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any, width: int) -> str:
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], widths: dict[str, int] | None = None
) -> str:
    """A plain-text table of `rows` (dicts) with a header; cells are cut at `widths` (default 40)."""
    widths = widths or {}
    cells = [[_cell(row.get(c), widths.get(c, 40)) for c in columns] for row in rows]
    size = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(size[i]) for i, c in enumerate(columns)).rstrip()]
    for r in cells:
        lines.append("  ".join(v.ljust(size[i]) for i, v in enumerate(r)).rstrip())
    return "\n".join(lines)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover

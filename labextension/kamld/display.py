"""Rich notebook display of what the client returns: datasets, snapshots, jobs and query results show as
small HTML cards (IPython's `_repr_html_` and `_repr_mimebundle_`), and datasets and snapshots are still the
dicts the API returns, with typed properties (`version` is an int, `create_time` a datetime, ...).

Everything user-supplied is HTML-escaped. No IPython import: the display protocol is plain methods.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

_STYLE = (
    "font-family:var(--jp-ui-font-family,sans-serif);font-size:var(--jp-ui-font-size1,13px);"
    "border:1px solid var(--jp-border-color2,#ddd);border-radius:4px;padding:6px 10px;display:inline-block"
)


def card(title: str, rows: Iterable[tuple[str, Any]], footer: str = "") -> str:
    """An HTML card: a bold title over a two-column table of the rows whose value is not empty. `footer` is
    trusted HTML (built by the callers from escaped parts)."""
    th = "text-align:left;padding-right:12px;font-weight:normal;opacity:.7"
    td = "text-align:left"
    cells = "".join(
        f'<tr><th style="{th}">{html.escape(k)}</th><td style="{td}">{html.escape(str(v))}</td></tr>'
        for k, v in rows
        if v not in ("", None, [], {})
    )
    return (
        f'<div class="kamld-repr" style="{_STYLE}"><div style="font-weight:600;margin-bottom:4px">'
        f"{html.escape(title)}</div><table>{cells}</table>{footer}</div>"
    )


def code(text: str) -> str:
    """Escaped inline code, for a footer."""
    return f"<code>{html.escape(text)}</code>"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as the API writes it ("2026-12-07T17:01:00.123456789Z"), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Python reads at most microseconds
        head, _, rest = text.partition(".")
        n = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(n, 6)]}{rest[n:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def to_int(value: Any) -> int:
    """int64 fields arrive as strings; a missing one is 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _when(value: Any) -> str:
    t = parse_time(value)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else ""


class _Record(dict[str, Any]):
    """A dict as the API returns it, displayed as a card; the JSON goes along as application/json."""

    @property
    def file_count(self) -> int:
        return to_int((self.get("stats") or {}).get("fileCount"))

    @property
    def total_bytes(self) -> int:
        return to_int((self.get("stats") or {}).get("totalBytes"))

    def _repr_html_(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._repr_html_(), "application/json": dict(self), "text/plain": repr(self)}


class DatasetInfo(_Record):
    """DatasetService's Dataset (a dict), with typed properties and a card."""

    @property
    def id(self) -> str:
        return str(self.get("name", "")).removeprefix("datasets/")

    @property
    def snapshot_count(self) -> int:
        return to_int(self.get("snapshotCount"))

    @property
    def create_time(self) -> datetime | None:
        return parse_time(self.get("createTime"))

    @property
    def update_time(self) -> datetime | None:
        return parse_time(self.get("updateTime"))

    def _repr_html_(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in (self.get("labels") or {}).items())
        n = self.snapshot_count
        load = f'kamld.load("{self.id}@v{n}")' if n else f'kamld.load("{self.id}")'
        return card(
            f"Dataset {self.id}",
            [
                ("description", self.get("description", "")),
                ("owner", self.get("owner", "")),
                ("tags", ", ".join(self.get("tags") or [])),
                ("labels", labels),
                ("files", f"{self.file_count} ({human_bytes(self.total_bytes)})"),
                ("snapshots", f"{n}, latest v{n}" if n else "none yet"),
                ("draft", "has changes" if self.get("hasDraftChanges") else ""),
                ("updated", _when(self.get("updateTime"))),
            ],
            footer=f'<div style="margin-top:4px">{code(load)}</div>',
        )


class SnapshotInfo(_Record):
    """SnapshotService's Snapshot (a dict), with typed properties and a card."""

    @property
    def dataset(self) -> str:
        return str(self.get("name", "")).removeprefix("datasets/").split("/", 1)[0]

    @property
    def version(self) -> int:
        return to_int(self.get("sequence") or str(self.get("version", "")).removeprefix("v"))

    @property
    def ref(self) -> str:
        """The short ref that names it, e.g. "iris@v3"."""
        return f"{self.dataset}@v{self.version}" if self.version else self.dataset

    @property
    def create_time(self) -> datetime | None:
        return parse_time(self.get("createTime"))

    def _repr_html_(self) -> str:
        return card(
            f"Snapshot {self.ref}",
            [
                ("message", self.get("message", "")),
                ("author", self.get("author", "")),
                ("created", _when(self.get("createTime"))),
                ("files", f"{self.file_count} ({human_bytes(self.total_bytes)})"),
                ("tags", ", ".join(self.get("tags") or [])),
                ("id", self.get("id", "")),
            ],
            footer=f'<div style="margin-top:4px">{code(f"kamld.load({self.ref!r})")}</div>',
        )


def job_html(data: Mapping[str, Any], outputs: list[str]) -> str:
    """A job's card: state, flavor, times, its last event, and its output snapshots."""
    state = str(data.get("state", "")).removeprefix("JOB_STATE_")
    events = data.get("events") or []
    last = events[-1] if events else {}
    colour = {"SUCCEEDED": "var(--jp-success-color1,green)", "FAILED": "var(--jp-error-color1,red)"}.get(
        state, "inherit"
    )
    name = str(data.get("name", "")).removeprefix("jobs/")
    title = f"Job {data.get('displayName') or name}"
    body = card(
        title,
        [
            ("id", name),
            ("state", state),
            ("flavor", data.get("flavor", "")),
            ("owner", data.get("owner", "")),
            ("created", _when(data.get("createTime"))),
            ("started", _when(data.get("startTime"))),
            ("ended", _when(data.get("endTime"))),
            ("last event", f"{last.get('reason', '')} {last.get('message', '')}".strip()),
            ("outputs", ", ".join(outputs)),
        ],
    )
    # The state in its colour: the escaped state text is known, so a targeted replace is safe.
    return body.replace(
        f'<td style="text-align:left">{html.escape(state)}</td>',
        f'<td style="text-align:left;color:{colour};font-weight:600">{html.escape(state)}</td>',
        1,
    )


def query_html(columns: list[tuple[str, str]], rows: list[list[Any]], stats: Mapping[str, Any]) -> str:
    """A query result: its statistics over the first rows."""
    shown = rows[:20]
    head = "".join(
        f'<th title="{html.escape(t)}" style="text-align:left">{html.escape(n)}</th>' for n, t in columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            '<td style="opacity:.6">NULL</td>' if v is None else f"<td>{html.escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in shown
    )
    more = f"<div>… {len(rows) - len(shown)} more rows</div>" if len(rows) > len(shown) else ""
    return card(
        "Query result",
        [
            ("rows", f"{len(rows)}{' (truncated)' if stats.get('truncated') else ''}"),
            ("engine", stats.get("engine", "")),
            ("elapsed", stats.get("elapsed", "")),
            ("first rows after", stats.get("timeToFirstBatch", "")),
            ("bytes sent", human_bytes(to_int(stats.get("bytes")))),
        ],
        footer=f"<table>{'<tr>' + head + '</tr>' if head else ''}{body}</table>{more}",
    )

"""Helpers shared by the benchmark scripts: a free loopback port, and a Markdown table written between its
own markers in docs/benchmarks.md, so that each bench target rewrites only its section."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_section(path: Path, name: str, table: str) -> None:
    """Put table between `<!-- name:begin -->` and `<!-- name:end -->` in path (appended when absent)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{table}\n{end}{tail}")

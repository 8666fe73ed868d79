"""Helpers shared by the benchmark scripts: a `kamld serve` of their own on loopback, and a Markdown table
written between its own markers in docs/benchmarks.md, so that each bench target rewrites only its section."""

from __future__ import annotations

import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(binary: str, base: Path) -> Iterator[dict[str, Any]]:
    """Run `kamld serve` with its data in base; yields its ready file (grpc_addr, http_url, …) plus token and
    token_file, and stops it on exit."""
    token = secrets.token_urlsafe(24)
    token_file = base / "token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    ready, log_path = base / "ready.json", base / "kamld.log"
    args = [
        binary,
        "serve",
        "--data-dir",
        str(base / "data"),
        "--token-file",
        str(token_file),
    ]
    args += [
        "--grpc-addr",
        f"127.0.0.1:{free_port()}",
        "--http-addr",
        f"127.0.0.1:{free_port()}",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*args, "--ready-file", str(ready)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"kamld serve did not start: {log_path.read_text()}"
                    )
                time.sleep(0.05)
            yield {
                **json.loads(ready.read_text()),
                "token": token,
                "token_file": str(token_file),
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def write_section(path: Path, name: str, table: str) -> None:
    """Put table between `<!-- name:begin -->` and `<!-- name:end -->` in path (appended when absent)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{table}\n{end}{tail}")


def machine() -> str:
    """The machine in one line, for a report's header."""
    return f"{platform.machine()}, {os.cpu_count()} cores"


def publish(
    report: dict[str, Any], json_path: str, markdown_path: str, section: str, markdown: Callable[[dict[str, Any]], str]
) -> None:
    """Write a part's report as its JSON file and as its table between its markers in docs/benchmarks.md, stamped
    with the date and the load average at the end of the run, and print the table."""
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": round(os.getloadavg()[0], 1),
        **report,
    }
    Path(json_path).parent.mkdir(parents=True, exist_ok=True)
    Path(json_path).write_text(json.dumps(report, indent=2) + "\n")
    write_section(Path(markdown_path), section, markdown(report))
    print(markdown(report))

"""Fuzz the served REST API with schemathesis and fail on any finding not listed in deviations.yaml.

Starts `kamld serve` on a temporary data directory with embedded backends, loopback ports picked by the
kernel and the sample datasets, points schemathesis at its /openapi.json with the sidecar's bearer token and
every check on, and stops the sidecar afterwards. Run it through `make test-api-fuzz` (docs/development-checks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Pin:
    """A parameter ("query.pageToken") given one value on every operation, and why."""

    parameter: str
    value: str
    reason: str


@dataclass(frozen=True)
class Deviation:
    """One reviewed exception: an operation (METHOD and path as the document spells them) on which some
    checks are off, and why."""

    method: str
    path: str
    checks: tuple[str, ...]
    reason: str


def reason_of(path: Path, what: str, entry: dict[str, Any]) -> str:
    reason = entry.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < 20:
        raise SystemExit(f"{path}: {what}: a reason of at least a sentence is required")
    return reason.strip()


def load_pins(path: Path, raw: Any) -> list[Pin]:
    out: list[Pin] = []
    for i, entry in enumerate(raw or []):
        param = entry.get("parameter") if isinstance(entry, dict) else None
        if not isinstance(param, str) or "." not in param or not isinstance(entry.get("value"), str):
            raise SystemExit(f"{path}: pinned entry {i + 1}: want parameter 'location.name' and a string value")
        out.append(Pin(param, entry["value"], reason_of(path, f"pinned {param}", entry)))
    return out


def load_deviations(path: Path) -> tuple[list[Pin], list[Deviation]]:
    """Reads the deviations file; an entry without a reason is refused, so none slips in unreviewed."""
    doc = yaml.safe_load(path.read_text()) or {}
    if not isinstance(doc, dict) or set(doc) - {"pinned", "checks_off"}:
        raise SystemExit(f"{path}: want a mapping with 'pinned' and 'checks_off'")
    return load_pins(path, doc.get("pinned")), load_checks_off(path, doc.get("checks_off"))


def load_checks_off(path: Path, raw: Any) -> list[Deviation]:
    out: list[Deviation] = []
    for i, entry in enumerate(raw or []):
        if not isinstance(entry, dict):
            raise SystemExit(f"{path}: entry {i + 1} is not a mapping")
        op, checks = entry.get("operation"), entry.get("checks")
        if not isinstance(op, str) or " " not in op:
            raise SystemExit(f"{path}: entry {i + 1}: operation must be 'METHOD /path'")
        if not isinstance(checks, list) or not checks or not all(isinstance(c, str) for c in checks):
            raise SystemExit(f"{path}: entry {i + 1} ({op}): checks must be a non-empty list of check names")
        method, _, op_path = op.partition(" ")
        out.append(Deviation(method.upper(), op_path.strip(), tuple(checks), reason_of(path, op, entry)))
    return out


def toml_string(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def schemathesis_config(pins: list[Pin], deviations: list[Deviation]) -> str:
    """The schemathesis.toml that pins the listed parameters and turns the listed checks off on the listed
    operations only."""
    lines = ["[checks]", "enabled = true", "", "[parameters]"]
    lines += [f"{toml_string(p.parameter)} = {toml_string(p.value)}" for p in pins]
    lines.append("")
    for d in deviations:
        lines += [
            "[[operations]]",
            f"include-method = {toml_string(d.method)}",
            f"include-path = {toml_string(d.path)}",
        ]
        lines += [f"checks.{c}.enabled = false" for c in d.checks]
        lines.append("")
    return "\n".join(lines)


class Sidecar:
    """A `kamld serve` on a temporary data directory; stopped (SIGTERM, then SIGKILL) by stop()."""

    def __init__(self, binary: str, data_dir: Path) -> None:
        self.data_dir = data_dir
        ready = data_dir / "ready"
        self.log = open(data_dir / "sidecar.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                binary, "serve", "--data-dir", str(data_dir / "data"), "--grpc-addr", "127.0.0.1:0",
                "--http-addr", "127.0.0.1:0", "--ready-file", str(ready), "--import-samples=true",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"kamld serve did not become ready; log:\n{self.log_text()}")
            time.sleep(0.2)
        info: dict[str, Any] = json.loads(ready.read_text())
        self.url = str(info["http_url"])
        self.token = (data_dir / "data" / "token").read_text().strip()

    def log_text(self) -> str:
        return (self.data_dir / "sidecar.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", required=True, help="the kamld binary to serve")
    ap.add_argument("--schemathesis", required=True, help="the schemathesis executable")
    ap.add_argument("--deviations", default=str(HERE / "deviations.yaml"))
    ap.add_argument("--max-examples", type=int, default=int(os.environ.get("KAMLD_FUZZ_EXAMPLES", "25")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("KAMLD_FUZZ_SEED", "1")))
    ap.add_argument("--report-dir", default=None, help="keep schemathesis' JUnit report here")
    args, extra = ap.parse_known_args()

    pins, deviations = load_deviations(Path(args.deviations))
    work = Path(tempfile.mkdtemp(prefix="kamld-fuzz-"))
    try:
        config = work / "schemathesis.toml"
        config.write_text(schemathesis_config(pins, deviations))
        sidecar = Sidecar(args.binary, work)
        try:
            # One worker: CPython 3.11 before 3.11.8 can fail compiling in two threads at once ("AST
            # constructor recursion depth mismatch", a schemathesis runtime error); one is also repeatable.
            cmd = [
                args.schemathesis, "--config-file", str(config), "run", f"{sidecar.url}/openapi.json",
                "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                "--workers", "1", "--no-color", "--suppress-health-check", "too_slow,filter_too_much",
                "--generation-database", "none", "--request-timeout", "30",
                "-H", f"Authorization: Bearer {sidecar.token}",
            ]
            if args.report_dir:
                cmd += ["--report", "junit", "--report-dir", args.report_dir]
            started = time.monotonic()
            rc = subprocess.call(cmd + extra, cwd=work)
            print(f"schemathesis: exit {rc} after {time.monotonic() - started:.0f}s", file=sys.stderr)
            if sidecar.proc.poll() is not None:
                print(f"the sidecar died during the run; log:\n{sidecar.log_text()}", file=sys.stderr)
                rc = rc or 1
            return rc
        finally:
            sidecar.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

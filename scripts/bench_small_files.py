"""Ingest of many small files: `kamld cp -r` against `dvc add` on the same files, in one run (make bench-small-files).

Writes 10,000 files of 4 KiB (random bytes, 100 folders of 100), then times, alternating:
`kamld cp -r DIR bench/DIR/` into a fresh dataset on a new `kamld serve` (loopback, new data directory), and `dvc add DIR` in a fresh `dvc init --no-scm` project holding a copy of the same files. Both read
every byte, hash it and store it in a content-addressed cache. Reports the best of the runs (and the medians)
and the ratio (budget ≤ 1.5×) as one JSON file and a Markdown table written between its own markers in
docs/benchmarks.md (bench-small-files:begin/end). dvc comes from PyPI, pinned, in a tool venv under
~/.cache/kamld (make dvc).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchkit import machine, publish, serve

BUDGET = 1.5


@contextmanager
def sidecar(binary: str, base: Path) -> Iterator[list[str]]:
    """A `kamld serve` of its own; yields the client flags that reach it."""
    with serve(binary, base) as ready:
        yield ["--addr", ready["grpc_addr"], "--token-file", ready["token_file"]]


def make_files(root: Path, files: int, size: int) -> None:
    per_dir = 100
    for i in range(files):
        d = root / f"d{i // per_dir:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.bin").write_bytes(os.urandom(size))


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_kamld(binary: str, flags: list[str], src: Path, run: int, jobs: int) -> float:
    ds = f"bench{run}"
    subprocess.run(
        [binary, *flags, "datasets", "create", ds],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    took = timed(
        [binary, *flags, "cp", "-r", "-j", str(jobs), str(src), f"{ds}/files/"]
    )
    # Outside the timing: every file must be there (a snapshot counts the draft's files).
    subprocess.run(
        [binary, *flags, "snapshot", ds, "-m", "bench"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out = subprocess.run(
        [binary, *flags, "datasets", "show", ds],
        check=True,
        capture_output=True,
        text=True,
    )
    want = sum(1 for p in src.rglob("*") if p.is_file())
    if f"files          {want} " not in out.stdout:
        raise RuntimeError(
            f"kamld holds other than {want} files after cp -r:\n{out.stdout}"
        )
    return took


def run_dvc(dvc: str, src: Path, base: Path, run: int) -> float:
    proj = base / f"dvc{run}"
    proj.mkdir()
    shutil.copytree(src, proj / "files")
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=proj, check=True)
    return timed([dvc, "add", "-q", "files"], cwd=proj)


def markdown(report: dict[str, Any]) -> str:
    r = report["result"]
    mark = "met" if r["met"] else "**not met**"
    return "\n".join(
        [
            f"Measured {report['date']} on {report['machine']}; {report['method']}",
            "",
            "| work | kamld | reference | ratio | budget |",
            "|---|---|---|---|---|",
            (
                f"| {r['work']} | {r['kamld_s']} s | {r['reference']}: {r['reference_s']} s | {r['ratio']}× | "
                f"≤ {r['budget']}× ({mark}) |"
            ),
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", default="bin/kamld")
    ap.add_argument(
        "--dvc", default=str(Path.home() / ".cache/kamld/dvc-3.67.1/bin/dvc")
    )
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", default="docs/benchmarks-small-files.json")
    ap.add_argument("--markdown", default="docs/benchmarks.md")
    args = ap.parse_args()
    binary = str(Path(args.binary).resolve())
    k_times, d_times = [], []
    with tempfile.TemporaryDirectory(prefix="kamld-bench-small-") as tmp:
        base = Path(tmp)
        src = base / "src"
        make_files(src, args.files, args.size)
        for run in range(args.runs):
            # A new store each run, as dvc gets a new cache: the same bytes again would be deduplicated.
            home = base / f"kamld{run}"
            home.mkdir()
            with sidecar(binary, home) as flags:
                k_times.append(run_kamld(binary, flags, src, run, args.jobs))
            d_times.append(run_dvc(args.dvc, src, base, run))
    k, d = min(k_times), min(d_times)
    report = {
        "machine": machine(),
        "method": (
            f"best of {args.runs} alternating runs (medians in the JSON report), load average "
            f"{os.getloadavg()[0]:.1f} at the end; `kamld cp -r -j {args.jobs}` into a new dataset's draft "
            "(every file hashed, stored and fsynced) against `dvc add` in a new `dvc init --no-scm` project."
        ),
        "result": {
            "work": f"ingest {args.files:,} × {args.size // 1024} KiB files",
            "kamld_s": round(k, 2),
            "reference": "`dvc add`, same files",
            "reference_s": round(d, 2),
            "ratio": round(k / d, 2),
            "kamld_median_s": round(statistics.median(k_times), 2),
            "reference_median_s": round(statistics.median(d_times), 2),
            "budget": BUDGET,
            "met": k / d <= BUDGET,
            "runs": args.runs,
        },
    }
    publish(report, args.json, args.markdown, "bench-small-files", markdown)


if __name__ == "__main__":
    main()

# ruff: noqa: RUF001, RUF002, S603, S607 - ratios print with ×; the commands are our own binaries and git
"""Ingest, versions and diffs: kamld's CLI against dvc (and sha256sum) on the same bytes, in one run
(make bench-versions).

Three pieces of work, each timed as the command a user types, alternating kamld and its reference, a new store
for each run:

- **ingest 1 GiB**: `kamld cp big.bin DS/big.bin` into a new dataset's draft on a new `kamld serve` (local
  store: hashed, written once and fsynced), against `dvc add big.bin` in a new `dvc init --no-scm` project
  holding a copy of the file, and against `sha256sum big.bin` (reading and hashing the bytes, nothing stored).
- **10 changed files → new version**: a dataset of 1,000 files of 4 KiB (10 folders) with a first snapshot; 10
  files change (new bytes); kamld sends the changed files (`kamld cp -r` of a folder holding just them, at the
  same paths) and commits (`kamld snapshot`), against `dvc add` of the whole folder plus `git add` and
  `git commit` of its .dvc file in a git + dvc project (dvc re-hashes only files whose mtime changed).
- **diff of those versions**: `kamld diff DS@v1 DS@v2` against `dvc diff HEAD~1 HEAD`.

Reports the best of the runs (and the medians) and the ratios as one JSON file and a Markdown table written
between its own markers in docs/benchmarks.md (bench-versions:begin/end). dvc comes from PyPI, pinned, in a tool
venv under ~/.cache/kamld (make dvc).
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

FILES, FILE_SIZE, CHANGED = 1_000, 4096, 10
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]


@contextmanager
def sidecar(binary: str, base: Path) -> Iterator[list[str]]:
    """A `kamld serve` of its own; yields the client flags that reach it."""
    with serve(binary, base) as ready:
        yield ["--addr", ready["grpc_addr"], "--token-file", ready["token_file"]]


def run(cmd: list[str], cwd: Path | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def timed(*cmds: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    for cmd in cmds:
        run(cmd, cwd)
    return time.perf_counter() - start


def write_random(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        left = size
        while left > 0:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n


def rel_files(n: int) -> list[str]:
    return [f"d{i % 10}/f{i:04d}.bin" for i in range(n)]


class Kamld:
    """The kamld side: a new `kamld serve` per run, driven through the CLI."""

    def __init__(self, binary: str, flags: list[str]) -> None:
        self.cli = [binary, *flags]

    def ingest_big(self, big: Path, ds: str) -> float:
        run([*self.cli, "datasets", "create", ds])
        return timed([*self.cli, "cp", str(big), f"{ds}/big.bin"])

    def new_version(self, tree: Path, changed: Path, ds: str) -> tuple[float, float]:
        """(seconds to send the changed files and snapshot, seconds of the diff of the two snapshots)."""
        run([*self.cli, "datasets", "create", ds])
        run([*self.cli, "cp", "-r", "-j", "8", str(tree), f"{ds}/files/"])
        run([*self.cli, "snapshot", ds, "-m", "v1"])
        version = timed(
            [*self.cli, "cp", "-r", "-j", "8", str(changed), f"{ds}/files/"],
            [*self.cli, "snapshot", ds, "-m", "v2"],
        )
        start = time.perf_counter()
        out = subprocess.run(
            [*self.cli, "diff", f"{ds}@v1", f"{ds}@v2"], check=True, capture_output=True, text=True
        ).stdout
        diff = time.perf_counter() - start
        if out.count("files/") < CHANGED:
            raise RuntimeError(f"kamld diff does not list the {CHANGED} changed files:\n{out}")
        return version, diff


class Dvc:
    """The reference: dvc from PyPI, in a new project per run."""

    def __init__(self, dvc: str) -> None:
        self.dvc = dvc

    def ingest_big(self, big: Path, proj: Path) -> float:
        proj.mkdir()
        shutil.copyfile(big, proj / "big.bin")
        run([self.dvc, "init", "--no-scm", "-q"], proj)
        return timed([self.dvc, "add", "-q", "big.bin"], cwd=proj)

    def new_version(self, tree: Path, changed: Path, proj: Path) -> tuple[float, float]:
        shutil.copytree(tree, proj / "files")
        run([*GIT, "init", "-q"], proj)
        run([self.dvc, "init", "-q"], proj)
        run([self.dvc, "add", "-q", "files"], proj)
        run([*GIT, "add", "-A"], proj)
        run([*GIT, "commit", "-q", "-m", "v1"], proj)
        shutil.copytree(changed, proj / "files", dirs_exist_ok=True)
        version = timed(
            [self.dvc, "add", "-q", "files"],
            [*GIT, "add", "files.dvc"],
            [*GIT, "commit", "-q", "-m", "v2"],
            cwd=proj,
        )
        start = time.perf_counter()
        out = subprocess.run(
            [self.dvc, "diff", "HEAD~1", "HEAD"], cwd=proj, check=True, capture_output=True, text=True
        ).stdout
        diff = time.perf_counter() - start
        if out.count("files/") < CHANGED:
            raise RuntimeError(f"dvc diff does not list the {CHANGED} changed files:\n{out}")
        return version, diff


def result(work: str, times: list[float], ref: str, ref_times: list[float]) -> dict[str, Any]:
    k, d = min(times), min(ref_times)
    return {
        "work": work,
        "kamld_s": round(k, 3),
        "reference": ref,
        "reference_s": round(d, 3),
        "ratio": round(k / d, 2),
        "kamld_median_s": round(statistics.median(times), 3),
        "reference_median_s": round(statistics.median(ref_times), 3),
        "runs": len(times),
    }


def measure(binary: str, dvc: Dvc, base: Path, runs: int, big_size: int) -> list[dict[str, Any]]:
    big = base / "big.bin"
    write_random(big, big_size)
    tree, changed = base / "tree", base / "changed"
    for rel in rel_files(FILES):
        write_random(tree / rel, FILE_SIZE)
    for rel in rel_files(FILES)[:: FILES // CHANGED]:
        write_random(changed / rel, FILE_SIZE)
    t: dict[str, list[float]] = {k: [] for k in ("k_big", "sha", "d_big", "k_ver", "k_diff", "d_ver", "d_diff")}
    for i in range(runs):
        home = base / f"kamld{i}"
        home.mkdir()
        with sidecar(binary, home) as flags:
            k = Kamld(binary, flags)
            t["k_big"].append(k.ingest_big(big, f"big{i}"))
            ver, diff = k.new_version(tree, changed, f"ver{i}")
            t["k_ver"].append(ver)
            t["k_diff"].append(diff)
        t["sha"].append(timed(["sha256sum", str(big)]))
        t["d_big"].append(dvc.ingest_big(big, base / f"dvcbig{i}"))
        shutil.rmtree(base / f"dvcbig{i}")
        ver, diff = dvc.new_version(tree, changed, base / f"dvcver{i}")
        t["d_ver"].append(ver)
        t["d_diff"].append(diff)
        shutil.rmtree(home)
    gib = f"{big_size / (1 << 30):g} GiB"
    return [
        result(f"ingest {gib} (`kamld cp`, local store)", t["k_big"], "`dvc add`, same file", t["d_big"]),
        result(f"ingest {gib} (`kamld cp`, local store)", t["k_big"], "`sha256sum`, same file", t["sha"]),
        result(
            f"{CHANGED} changed files of {FILES:,} → new version (`kamld cp -r` + `kamld snapshot`)",
            t["k_ver"],
            "`dvc add` + `git add` + `git commit`",
            t["d_ver"],
        ),
        result("diff of those versions (`kamld diff`)", t["k_diff"], "`dvc diff HEAD~1 HEAD`", t["d_diff"]),
    ]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Measured {report['date']} on {report['machine']}; {report['method']}",
        "",
        "| work | kamld | reference | ratio |",
        "|---|---|---|---|",
    ]
    for r in report["results"]:
        lines.append(f"| {r['work']} | {r['kamld_s']} s | {r['reference']}: {r['reference_s']} s | {r['ratio']}× |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", default="bin/kamld")
    ap.add_argument("--dvc", default=str(Path.home() / ".cache/kamld/dvc-3.67.1/bin/dvc"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big", type=int, default=1 << 30, help="bytes of the big file")
    ap.add_argument("--json", default="docs/benchmarks-versions.json")
    ap.add_argument("--markdown", default="docs/benchmarks.md")
    args = ap.parse_args()
    binary = str(Path(args.binary).resolve())
    with tempfile.TemporaryDirectory(prefix="kamld-bench-versions-") as tmp:
        results = measure(binary, Dvc(args.dvc), Path(tmp), args.runs, args.big)
    method = (
        f"best of {args.runs} alternating runs (medians in the JSON report), load average "
        f"{os.getloadavg()[0]:.1f} at the end; wall time of the CLI commands, a new kamld store and dvc "
        "project per run, the files in the page cache for both."
    )
    report = {"machine": machine(), "method": method, "results": results}
    publish(report, args.json, args.markdown, "bench-versions", markdown)


if __name__ == "__main__":
    main()

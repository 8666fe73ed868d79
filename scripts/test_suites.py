#!/usr/bin/env python3
"""Run `make test`'s suites in lanes and time each one.

First the targets every suite shares (TEST_PREPARE: the binaries, the extension, the test servers) are made
once, two at a time; then each lane runs its suites one after another while the lanes run side by side, each
suite as `make -o <prepared>… <suite>` so nothing shared is made twice. Most suites wait on servers, browsers
and JVMs more than they compute, which is why lanes beat one suite at a time even on two cores.

Each suite's output goes to artifacts/test-logs/<suite>.log and is printed whole when the suite ends (so
lanes do not interleave); a line `== <suite>: ok in N s` follows. At the end a table of every suite's start,
duration and lane is printed and written to artifacts/test-times.json, and one line per suite is appended to
artifacts/test-times.csv (the history). A failed suite lets the running ones finish and starts no new one,
unless --keep-going. docs/development.md describes the lanes and the measured times.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Result:
    name: str
    lane: int
    start: float  # seconds after the run began
    seconds: float
    ok: bool


@dataclass
class Run:
    make: list[str]
    prepared: list[str]
    logs: Path
    keep_going: bool
    t0: float = field(default_factory=time.monotonic)
    started: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    results: list[Result] = field(default_factory=list)
    failed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    procs: set[subprocess.Popen[bytes]] = field(default_factory=set)

    def make_cmd(self, *targets: str) -> list[str]:
        old = [f"--old-file={t}" for t in self.prepared]
        return [*self.make, "--no-print-directory", *old, *targets]

    def step(self, name: str, lane: int, cmd: list[str]) -> bool:
        """Runs cmd with its output in the suite's log, prints the log when it ends, records the time."""
        log = self.logs / f"{name}.log"
        start = time.monotonic()
        print(f"== {name}: started (lane {lane}; log {log})", flush=True)
        with log.open("wb") as out:
            p = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            with self.lock:
                self.procs.add(p)
            rc = p.wait()
            with self.lock:
                self.procs.discard(p)
        seconds = time.monotonic() - start
        ok = rc == 0
        with self.lock:
            sys.stdout.write(log.read_text(errors="replace"))
            print(
                f"== {name}: {'ok' if ok else f'FAILED (exit {rc})'} in {seconds:.0f} s",
                flush=True,
            )
            self.results.append(Result(name, lane, start - self.t0, seconds, ok))
            if not ok:
                self.failed = True
        return ok

    def lane(self, index: int, suites: list[str]) -> None:
        for suite in suites:
            if self.failed and not self.keep_going:
                return
            self.step(suite, index, self.make_cmd(suite))

    def stop(self, signum: int, _frame: object) -> None:
        with self.lock:
            for p in self.procs:
                try:
                    os.killpg(p.pid, signum)
                except ProcessLookupError:
                    pass
        raise SystemExit(128 + signum)


def plan(
    suites: list[str], first: list[str], lanes: list[list[str]]
) -> list[list[str]]:
    """The lanes restricted to suites, in their order; a suite no lane names joins the shortest lane (by
    count), so a suite added to TEST_SUITES alone still runs."""
    wanted = [s for s in suites if s not in first]
    out = [[s for s in lane if s in wanted] for lane in lanes] or [[]]
    placed = {s for lane in out for s in lane}
    for s in wanted:
        if s not in placed:
            min(out, key=len).append(s)
    return [lane for lane in out if lane]


def report(run: Run, total: float, out: Path) -> None:
    rows = sorted(run.results, key=lambda r: r.start)
    print(f"== timings (seconds; {out / 'test-times.json'})")
    print(f"  {'suite':<20} {'lane':>4} {'start':>6} {'took':>6}")
    for r in rows:
        print(
            f"  {r.name:<20} {r.lane:>4} {r.start:>6.0f} {r.seconds:>6.0f}{'' if r.ok else '  FAILED'}"
        )
    print(f"  {'total':<20} {'':>4} {'':>6} {total:>6.0f}")
    date = run.started
    doc = {
        "date": date,
        "total_s": round(total, 1),
        "load_average": os.getloadavg(),
        "suites": [
            {
                "name": r.name,
                "lane": r.lane,
                "start_s": round(r.start, 1),
                "seconds": round(r.seconds, 1),
                "ok": r.ok,
            }
            for r in rows
        ],
    }
    (out / "test-times.json").write_text(json.dumps(doc, indent=2) + "\n")
    history = out / "test-times.csv"
    new = not history.exists()
    with history.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["date", "suite", "lane", "start_s", "seconds", "ok"])
        for r in rows + [Result("total", 0, 0, total, all(r.ok for r in rows))]:
            w.writerow(
                [
                    date,
                    r.name,
                    r.lane,
                    round(r.start, 1),
                    round(r.seconds, 1),
                    int(r.ok),
                ]
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--make", default="make", help="the make command (the Makefile passes $(MAKE))"
    )
    ap.add_argument(
        "--first",
        default="",
        help="suites run alone before anything else (check-generate rewrites code the others compile)",
    )
    ap.add_argument(
        "--prepare",
        default="",
        help="targets made once, before the lanes, and not remade by them; groups separated by '|' are made one after the other",
    )
    ap.add_argument("--jobs", type=int, default=2, help="make -j for --prepare")
    ap.add_argument(
        "--lanes",
        default="",
        help="lanes separated by '|', each a space-separated list of suites in order",
    )
    ap.add_argument("--out", default="artifacts", help="where the logs and timings go")
    ap.add_argument(
        "--keep-going",
        action="store_true",
        help="start every suite even after one failed",
    )
    ap.add_argument("suites", nargs="+")
    args = ap.parse_args()

    out = Path(args.out)
    logs = out / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    run = Run(
        make=args.make.split(), prepared=[], logs=logs, keep_going=args.keep_going
    )
    signal.signal(signal.SIGINT, run.stop)
    signal.signal(signal.SIGTERM, run.stop)

    first = [s for s in args.first.split() if s in args.suites]
    lanes = plan(args.suites, first, [lane.split() for lane in args.lanes.split("|")])
    for suite in first:
        if not run.step(suite, 0, run.make_cmd(suite)) and not run.keep_going:
            break
    for i, group in enumerate(g.split() for g in args.prepare.split("|")):
        if not group or (run.failed and not run.keep_going):
            continue
        name = "prepare" if i == 0 else "prepare-" + "-".join(group)
        run.step(
            name, 0, run.make_cmd(f"-j{args.jobs}", "--output-sync=target", *group)
        )
        run.prepared += group
    if not run.failed or run.keep_going:
        threads = [
            threading.Thread(target=run.lane, args=(i + 1, lane))
            for i, lane in enumerate(lanes)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    report(run, time.monotonic() - run.t0, out)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())

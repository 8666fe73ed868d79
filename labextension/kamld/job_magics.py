"""The job subcommands of `%kamld`: run, jobs, logs, cancel (see `kamld.magics` for the rest)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from . import jobs
from .texttable import format_table

USAGE = """\
  run <script.py|notebook.ipynb> [--input iris@v1:/data] [--output model:/out] [--flavor cpu] [-- args]
                                   run a script or notebook as a training job (--wait streams its log)
  jobs                             recent jobs, newest first
  logs <job> [-f]                  a job's log; -f follows it live until the job ends
  cancel <job>                     cancel a job in any state
"""


def add_parsers(parser: Callable[[str, str], argparse.ArgumentParser]) -> dict[str, argparse.ArgumentParser]:
    """The job subcommands' parsers, built with the magics' never-exiting parser factory."""
    run = parser(
        "run", "Run a script or a notebook as a training job; its outputs become snapshots with lineage."
    )
    run.add_argument("target", help="a .py script, a .ipynb notebook, or a program")
    run.add_argument(
        "args", nargs="*", help="arguments for the script; put them after -- when they start with -"
    )
    run.add_argument(
        "-i", "--input", action="append", default=[], help='a dataset ref and its folder, "iris@v1:/data"'
    )
    run.add_argument(
        "-o", "--output", action="append", default=[], help='a dataset and the folder to commit, "model:/out"'
    )
    run.add_argument("--flavor", default="cpu", help="the job environment (see kamld.jobs.flavors())")
    run.add_argument("--cpu", default="", help='CPU request, e.g. "500m", "2"')
    run.add_argument("--memory", default="", help='memory request, e.g. "2Gi"')
    run.add_argument("--gpu", type=int, default=0, help="number of GPUs")
    run.add_argument("--name", default="", help="a name for people")
    run.add_argument("--retries", type=int, default=0, help="run again after a failure at most this often")
    run.add_argument("--wait", action="store_true", help="stream the log and wait until the job ends")
    listing = parser("jobs", "Recent jobs, newest first.")
    listing.add_argument("-n", "--limit", type=int, default=20, help="how many")
    logs = parser("logs", "A job's log (stdout and stderr).")
    logs.add_argument("job", help='"jobs/<id>" or "<id>"')
    logs.add_argument("-f", "--follow", action="store_true", help="stream until the job ends")
    cancel = parser("cancel", "Cancel a job (queued, pending or running).")
    cancel.add_argument("job", help='"jobs/<id>" or "<id>"')
    cancel.add_argument("-r", "--reason", default="", help="why, recorded with the job")
    return {"run": run, "jobs": listing, "logs": logs, "cancel": cancel}


def _state(j: jobs.Job) -> str:
    return j.state.removeprefix("JOB_STATE_")


def _describe(j: jobs.Job) -> str:
    last = j.events[-1] if j.events else {}
    why = f" ({last.get('reason')}{': ' + last['message'] if last.get('message') else ''})" if last else ""
    return f"{j.name} {_state(j)}{why}"


def _run(args: argparse.Namespace) -> str:
    j = jobs.run(
        args.target,
        *args.args,
        inputs=args.input,
        outputs=args.output,
        flavor=args.flavor,
        cpu=args.cpu,
        memory=args.memory,
        gpu=args.gpu,
        name=args.name,
        max_retries=args.retries,
    )
    if not args.wait:
        return f"{_describe(j)}: follow it with %kamld logs {j.id} -f"
    j.logs(follow=True)
    j.wait(check=False)
    return _finished(j)


def _finished(j: jobs.Job) -> str:
    lines = [_describe(j)]
    for snap in j.outputs if j.state == "JOB_STATE_SUCCEEDED" else []:
        name = str(snap.get("name", "")).split("/snapshots/")[0].removeprefix("datasets/")
        raw_lineage = snap.get("lineage")
        lineage: dict[str, Any] = dict(raw_lineage) if isinstance(raw_lineage, dict) else {}
        inputs = ", ".join(
            str(i).replace("datasets/", "").replace("/snapshots/", "@")[:40]
            for i in lineage.get("inputs", [])
        )
        lines.append(f"  {name}@{snap.get('version')} ← {j.name}" + (f" ← {inputs}" if inputs else ""))
    return "\n".join(lines)


def _jobs(args: argparse.Namespace) -> str:

    rows = []
    for j in jobs.jobs(limit=args.limit):
        d = j.data
        rows.append(
            {
                "job": j.id,
                "state": _state(j),
                "flavor": d.get("flavor", ""),
                "name": d.get("displayName") or " ".join(d.get("command") or [d.get("notebook", "")]),
                "created": str(d.get("createTime", ""))[:19].replace("T", " "),
                "owner": d.get("owner", ""),
            }
        )
    if not rows:
        return "no jobs yet: %kamld run train.py --input iris@v1:/data --output model:/out"
    return format_table(rows, ["job", "state", "flavor", "name", "created", "owner"], {"name": 40})


def _logs(args: argparse.Namespace) -> str:
    j = jobs.job(args.job)
    if not args.follow:
        return j.logs()
    j.logs(follow=True, out=sys.stdout)
    return f"[{_describe(j.refresh())}]"


def _cancel(args: argparse.Namespace) -> str:
    return _describe(jobs.cancel(args.job, args.reason))


COMMANDS: dict[str, Callable[[argparse.Namespace], str]] = {
    "run": _run,
    "jobs": _jobs,
    "logs": _logs,
    "cancel": _cancel,
}

"""The pipeline subcommand of `%kamld`: pipeline run|plan|ls|get|logs|cancel (see `kamld.magics`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import pipelines

USAGE = """\
  pipeline run <file.yaml> [-p NAME=VALUE] [--rerun-from STEP] [--detach]
                                   run a pipeline, printing each step's state until it ends
  pipeline plan <file.yaml> [-p NAME=VALUE] [--rerun-from STEP]
                                   which steps would run and which come from the cache, and why
  pipeline ls | get <run> | logs <run> <step> [-f] | cancel <run>
"""


def add_parsers(parser: Callable[[str, str], argparse.ArgumentParser]) -> dict[str, argparse.ArgumentParser]:
    """The pipeline subcommand's parser, built with the magics' never-exiting parser factory."""
    p = parser("pipeline", "Pipelines of jobs: run, plan, ls, get, logs, cancel.")
    p.add_argument("action", choices=["run", "plan", "ls", "get", "logs", "cancel"])
    p.add_argument(
        "args", nargs="*", help="the file (run, plan), the run (get, logs, cancel) and the step (logs)"
    )
    p.add_argument("-p", "--param", action="append", default=[], help="a parameter, NAME=VALUE")
    p.add_argument(
        "--rerun-from", default="", help="run this step and every step after it, whatever is cached"
    )
    p.add_argument("--detach", action="store_true", help="return at once instead of following the run")
    p.add_argument("-f", "--follow", action="store_true", help="logs: stream until the step ends")
    p.add_argument("-r", "--reason", default="", help="cancel: why")
    return {"pipeline": p}


def _params(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {v!r}: want NAME=VALUE")
        out[name] = value
    return out


def _state(s: str) -> str:
    return s.removeprefix("PIPELINE_RUN_STATE_").removeprefix("PIPELINE_STEP_STATE_")


def _steps(r: pipelines.PipelineRun) -> str:
    from .magics import format_table

    rows = [
        {
            "step": s.get("name", ""),
            "state": _state(str(s.get("state", ""))),
            "job": s.get("job") or (f"cached from {s.get('cachedFrom')}" if s.get("cachedFrom") else ""),
            "detail": s.get("message", ""),
        }
        for s in r.steps
    ]
    head = f"{r.name} {r.data.get('pipeline', '')} {_state(r.state)} {r.data.get('message', '')}".strip()
    return head + "\n" + format_table(rows, ["step", "state", "job", "detail"], {"job": 44, "detail": 60})


def _follow(r: pipelines.PipelineRun) -> str:
    seen: dict[str, str] = {}
    for cur in r.watch():
        for s in cur.steps:
            name, state = str(s.get("name", "")), _state(str(s.get("state", "")))
            if seen.get(name) != state:
                seen[name] = state
                print(f"{name:<24} {state}", file=sys.stdout, flush=True)
    return _steps(r.refresh())


def _one(args: argparse.Namespace, n: int, what: str) -> list[str]:
    if len(args.args) != n:
        raise ValueError(f"%kamld pipeline {args.action} takes {what}")
    return list(args.args)


def _pipeline(args: argparse.Namespace) -> str:
    from .magics import format_table

    action = args.action
    if action in ("run", "plan"):
        [file] = _one(args, 1, "a pipeline file")
        params = _params(args.param)
        if action == "plan":
            steps = pipelines.plan(file, parameters=params, rerun_from=args.rerun_from)
            rows = [
                {"step": s.get("name"), "action": s.get("action"), "why": "; ".join(s.get("reasons") or [])}
                for s in steps
            ]
            runs = sum(1 for s in steps if s.get("action") == "run")
            return (
                format_table(rows, ["step", "action", "why"], {"why": 90})
                + f"\n{runs} of {len(steps)} steps run"
            )
        r = pipelines.pipeline(file, parameters=params, rerun_from=args.rerun_from)
        return f"{r.name} started: %kamld pipeline get {r.id}" if args.detach else _follow(r)
    if action == "ls":
        rows = [
            {
                "run": r.id,
                "pipeline": r.data.get("pipeline", ""),
                "state": _state(r.state),
                "created": str(r.data.get("createTime", ""))[:19].replace("T", " "),
            }
            for r in pipelines.runs(limit=20)
        ]
        return (
            format_table(rows, ["run", "pipeline", "state", "created"], {})
            if rows
            else "no pipeline runs yet"
        )
    if action == "logs":
        run, step = _one(args, 2, "a run and a step")
        return pipelines.run(run).logs(step, follow=args.follow)
    [run] = _one(args, 1, "a run")
    if action == "cancel":
        return _steps(pipelines.run(run).cancel(args.reason))
    return _steps(pipelines.run(run))


COMMANDS: dict[str, Callable[[argparse.Namespace], str]] = {"pipeline": _pipeline}

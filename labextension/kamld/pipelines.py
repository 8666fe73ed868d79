"""Pipelines from a notebook: `kamld.pipeline("pipeline.yaml").wait()`.

`pipeline` sends a pipeline file (see docs/pipelines.md) with the working files it names, read beside it, to
the sidecar's PipelineService and returns a `PipelineRun` handle with `.wait()`, `.steps`, `.outputs`,
`.logs(step)` and `.cancel()`. `plan` says, without running anything, which steps a run would execute and
which it would take from the cache, and why. Each step runs as a job (`kamld.jobs`).
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

from .client import Client, Snapshot
from .errors import FailedPrecondition, invalid_argument
from .handle import ResourceHandle
from .jobs import Job, _stream

__all__ = [
    "FINAL_RUN_STATES",
    "PipelineFailed",
    "PipelineRun",
    "PipelineStep",
    "StepPlan",
    "pipeline",
    "plan",
    "run",
    "runs",
]

FINAL_RUN_STATES = (
    "PIPELINE_RUN_STATE_SUCCEEDED",
    "PIPELINE_RUN_STATE_FAILED",
    "PIPELINE_RUN_STATE_CANCELLED",
)
POLL_INTERVAL = 0.25


class PipelineStep(TypedDict, total=False):
    """A step of a run, as PipelineService returns it."""

    name: str
    state: str
    dependsOn: list[str]
    job: str
    jobs: list[str]
    attempt: int
    cacheKey: str
    reasons: list[str]
    cachedFrom: str
    cachedJob: str
    outputs: dict[str, str]
    exportedEnv: list[str]
    message: str
    imageNote: str
    startTime: str
    endTime: str


class StepPlan(TypedDict, total=False):
    """What a run would do with a step, and why."""

    name: str
    dependsOn: list[str]
    action: str
    reasons: list[str]
    cacheKey: str
    image: str
    imageNote: str
    cachedFrom: str
    cachedJob: str


class PipelineFailed(FailedPrecondition):
    """`PipelineRun.wait()` found the run FAILED or CANCELLED."""


def _run_path(name: str) -> str:
    run_id = name.removeprefix("pipelineRuns/")
    if not run_id or "/" in run_id:
        raise invalid_argument(f"{name!r} is not a pipeline run (want pipelineRuns/<id> or <id>)")
    return f"/v1/pipelineRuns/{quote(run_id, safe='')}"


class PipelineRun(ResourceHandle):
    """A handle on a pipeline run; its fields are PipelineService's PipelineRun, refreshed by `refresh()`."""

    collection = "pipelineRuns"
    unspecified_state = "PIPELINE_RUN_STATE_UNSPECIFIED"

    @property
    def done(self) -> bool:
        return self.state in FINAL_RUN_STATES

    @property
    def steps(self) -> list[PipelineStep]:
        """The steps, in an order they can run in, with their states, jobs and outputs."""
        return [PipelineStep(**s) for s in self._data.get("steps") or []]  # type: ignore[typeddict-item]

    def step(self, name: str) -> PipelineStep:
        for s in self.steps:
            if s.get("name") == name:
                return s
        raise KeyError(f"{self.name} has no step {name!r}")

    @property
    def outputs(self) -> dict[str, dict[str, Snapshot]]:
        """Each step's output snapshots (with `lineage`) by output folder, for the steps that have them."""
        out: dict[str, dict[str, Snapshot]] = {}
        for s in self.steps:
            for folder, snap_name in (s.get("outputs") or {}).items():
                snap: Snapshot = self._client.request("GET", f"/v1/{quote(snap_name, safe='/')}")
                out.setdefault(str(s.get("name", "")), {})[folder] = snap
        return out

    def refresh(self) -> PipelineRun:
        self._data = self._client.request("GET", _run_path(self.name))
        return self

    def wait(self, timeout: float | None = None, *, check: bool = True) -> PipelineRun:
        """Block until the run is final (or `timeout` seconds pass: TimeoutError). With `check`, a FAILED or
        CANCELLED run raises PipelineFailed naming the steps that failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh().done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} is still running after {timeout} s")
            time.sleep(POLL_INTERVAL)
        if check and self.state != "PIPELINE_RUN_STATE_SUCCEEDED":
            state = self.state.removeprefix("PIPELINE_RUN_STATE_")
            raise PipelineFailed(9, f"{self.name} ended {state}: {self._data.get('message', '')}".strip())
        return self

    def watch(self) -> Iterator[PipelineRun]:
        """The run now and after every change, until it is final."""
        for item in _stream(self._client, f"{_run_path(self.name)}:watch", {}):
            self._data = item
            yield self

    def job(self, step: str) -> Job:
        """The job of a step's latest attempt (for a cached step, the job that made its outputs)."""
        s = self.step(step)
        name = s.get("job") or s.get("cachedJob")
        if not name:
            raise FailedPrecondition(9, f"step {step} of {self.name} has not run yet ({s.get('state')})")
        return Job(self._client.request("GET", f"/v1/{quote(name, safe='/')}"), self._client)

    def logs(self, step: str, *, follow: bool = False) -> str:
        """A step's log: its job's stdout and stderr."""
        return self.job(step).logs(follow=follow)

    def cancel(self, reason: str = "") -> PipelineRun:
        self._data = self._client.request("POST", f"{_run_path(self.name)}:cancel", json={"reason": reason})
        return self

    def __repr__(self) -> str:
        state = self.state.removeprefix("PIPELINE_RUN_STATE_")
        counts: dict[str, int] = {}
        for s in self.steps:
            key = str(s.get("state", "")).removeprefix("PIPELINE_STEP_STATE_").lower()
            counts[key] = counts.get(key, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        return f"<kamld.PipelineRun {self.name} {self._data.get('pipeline')!r} {state} ({summary})>"


def _default_client() -> Client:
    from .api import get_client

    return get_client()


def _file_sources(spec: Any) -> list[str]:
    """The working files and notebooks a pipeline names."""
    out: list[str] = []
    steps = spec.get("steps") if isinstance(spec, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        for wf in step.get("working_files") or []:
            source = wf.get("source") if isinstance(wf, dict) else wf
            if isinstance(source, str) and source not in out:
                out.append(source)
        notebook = step.get("notebook")
        if isinstance(notebook, str) and notebook not in out:
            out.append(notebook)
    return out


def _request(
    source: str | os.PathLike[str] | Mapping[str, Any],
    parameters: Mapping[str, Any] | None,
    rerun_from: str,
) -> dict[str, Any]:
    """The request body: the pipeline's text and the working files it names, read beside the file (or,
    for a pipeline given as a dict, from the current directory). Missing files are left to the sidecar to
    report with their step and field."""
    if isinstance(source, Mapping):
        text, base, spec = json.dumps(source), Path.cwd(), dict(source)
    else:
        path = Path(source)
        try:
            text = path.read_text()
        except OSError as exc:
            raise invalid_argument(f"cannot read {path}: {exc.strerror or exc}") from exc
        base = path.parent
        try:
            spec = importlib.import_module("yaml").safe_load(text)
        except Exception:  # a file YAML cannot read: the sidecar reports it with its line
            spec = None
    files: dict[str, str] = {}
    for rel in _file_sources(spec):
        try:
            files[rel] = base64.b64encode((base / rel).read_bytes()).decode("ascii")
        except OSError:
            continue
    body: dict[str, Any] = {"source": text, "files": files, "rerunFrom": rerun_from}
    if parameters:
        body["parameters"] = {k: str(v) for k, v in parameters.items()}
    return body


def pipeline(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    parameters: Mapping[str, Any] | None = None,
    rerun_from: str = "",
    run_id: str = "",
    wait: bool = False,
    client: Client | None = None,
) -> PipelineRun:
    """Run a pipeline and return its handle.

    `source` is a pipeline file (YAML) or the same as a dict. `parameters` override the file's defaults;
    `rerun_from` runs that step and every step after it whatever the cache holds; `run_id` makes a retried
    call idempotent; `wait` blocks until the run ends (PipelineFailed when it does not succeed).
    """
    client = client or _default_client()
    body = _request(source, parameters, rerun_from)
    if run_id:
        body["runId"] = run_id
    handle = PipelineRun(client.request("POST", "/v1/pipelineRuns", json=body), client)
    return handle.wait() if wait else handle


def plan(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    parameters: Mapping[str, Any] | None = None,
    rerun_from: str = "",
    client: Client | None = None,
) -> list[StepPlan]:
    """What a run would do, step by step: "run" or "cached", and why (which part of the cache key changed)."""
    client = client or _default_client()
    result = client.request("POST", "/v1/pipelines:plan", json=_request(source, parameters, rerun_from)) or {}
    return [StepPlan(**s) for s in result.get("steps") or []]  # type: ignore[typeddict-item]


def run(name: str, *, client: Client | None = None) -> PipelineRun:
    """The handle of an existing run ("pipelineRuns/<id>" or "<id>")."""
    client = client or _default_client()
    return PipelineRun(client.request("GET", _run_path(name)), client)


def runs(*, limit: int = 50, client: Client | None = None) -> list[PipelineRun]:
    """Pipeline runs, newest first."""
    client = client or _default_client()
    page = client.request("GET", "/v1/pipelineRuns", params={"pageSize": limit}) or {}
    return [PipelineRun(r, client) for r in page.get("runs") or []]

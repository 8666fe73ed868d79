"""Training jobs from a notebook: `kamld.run("train.py", inputs={"iris@v1": "data"}, outputs={"out": "m"})`.

`run` submits a script, a notebook or a command to the sidecar's JobService and returns a `Job` handle with
`.wait()`, `.logs()`, `.cancel()` and `.outputs` (the snapshots committed from its outputs, with their
lineage). Scripts and notebooks are sent with the job (their content, not a path), so the sidecar need not
share the kernel's filesystem. Commands never pass through a shell.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TextIO, TypedDict
from urllib.parse import quote

import requests

from .client import Client
from .display import SnapshotInfo, job_html
from .errors import FailedPrecondition, KamldError, error_for, invalid_argument
from .handle import ResourceHandle
from .progress import wait_bar

__all__ = [
    "FINAL_STATES",
    "Job",
    "JobFailed",
    "cancel",
    "flavors",
    "job",
    "jobs",
    "parse_mapping",
    "run",
]

DEADLINE_EXCEEDED, UNAVAILABLE = 4, 14
FINAL_STATES = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
POLL_INTERVAL = 0.25


class JobEvent(TypedDict, total=False):
    job: str
    state: str
    reason: str
    message: str
    time: str
    attempt: int


class JobFailed(FailedPrecondition):
    """`Job.wait()` found the job FAILED or CANCELLED."""


def _job_path(name: str) -> str:
    job_id = name.removeprefix("jobs/")
    if not job_id or "/" in job_id:
        raise invalid_argument(f"{name!r} is not a job (want jobs/<id> or <id>)")
    return f"/v1/jobs/{quote(job_id, safe='')}"


class Job(ResourceHandle):
    """A handle on a submitted job; its fields are the JobService's Job, refreshed by `refresh()`."""

    collection = "jobs"
    unspecified_state = "JOB_STATE_UNSPECIFIED"

    @property
    def events(self) -> list[JobEvent]:
        return list(self._data.get("events") or [])

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    def refresh(self) -> Job:
        self._data = self._client.request("GET", _job_path(self.name))
        return self

    def wait(self, timeout: float | None = None, *, check: bool = True, progress: bool | None = None) -> Job:
        """Block until the job is final (or `timeout` seconds pass: TimeoutError). With `check`, a FAILED or
        CANCELLED job raises JobFailed naming its last reason. In a notebook (or with `progress=True`) a
        progress line shows the state and the time waited, when tqdm is installed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = wait_bar(f"{self.id}", progress)
        try:
            while not self.refresh().done:
                if bar is not None:
                    bar.set_postfix_str(self.state.removeprefix("JOB_STATE_").lower())
                if deadline is not None and time.monotonic() > deadline:
                    raise error_for(DEADLINE_EXCEEDED, f"{self.name} is still {self.state} after {timeout} s")
                time.sleep(POLL_INTERVAL)
        finally:
            if bar is not None:
                bar.close()
        if check and self.state != "JOB_STATE_SUCCEEDED":
            last = self.events[-1] if self.events else {}
            raise JobFailed(
                9,  # FAILED_PRECONDITION: the job did not succeed
                f"{self.name} ended {self.state.removeprefix('JOB_STATE_')}: "
                f"{last.get('reason', '')} {last.get('message', '')}".strip(),
            )
        return self

    def logs(self, *, follow: bool = False, attempt: int = 0, out: TextIO | None = None) -> str:
        """The job's log (stdout and stderr). With `follow`, stream it until the job ends, writing each piece
        to `out` (default: sys.stdout) as it arrives, and return the whole."""
        parts: list[str] = []
        for text in self.iter_logs(follow=follow, attempt=attempt):
            parts.append(text)
            if follow:
                (out or sys.stdout).write(text)
                (out or sys.stdout).flush()
        return "".join(parts)

    def iter_logs(self, *, follow: bool = False, attempt: int = 0, offset: int = 0) -> Iterator[str]:
        """The log as pieces of text, live with `follow`. A followed stream that breaks (a quiet job
        outlasting the client's read timeout, a restarted sidecar) is resumed where it stopped, also when the
        job ended meanwhile."""
        while True:
            params = {"follow": "true" if follow else "false", "attempt": attempt, "offset": offset}
            try:
                for item in _stream(self._client, f"{_job_path(self.name)}/logs", params):
                    text = str(item.get("text", ""))
                    offset = int(item.get("offset", offset)) + len(text.encode())
                    attempt = int(item.get("attempt", attempt))
                    yield text
                return
            except KamldError as exc:
                if not follow or exc.code not in (DEADLINE_EXCEEDED, UNAVAILABLE):
                    raise
                if self.refresh().done:
                    # The job ended while the stream was down: what it wrote after `offset` is final, so
                    # read it once without following instead of losing the tail.
                    follow = False

    def watch(self) -> Iterator[JobEvent]:
        """Every state change, recorded ones first, until the job is final."""
        for item in _stream(self._client, f"{_job_path(self.name)}:watch", {}):
            yield JobEvent(**item)  # type: ignore[typeddict-item]

    def cancel(self, reason: str = "") -> Job:
        self._data = self._client.request("POST", f"{_job_path(self.name)}:cancel", json={"reason": reason})
        return self

    @property
    def outputs(self) -> list[SnapshotInfo]:
        """The snapshots committed from the job's outputs (with `lineage`), once it SUCCEEDED: dicts as the
        API returns them, with typed properties (`ref` such as "out@v2", `version`, `file_count`, ...)."""
        return [
            SnapshotInfo(self._client.request("GET", f"/v1/{quote(name, safe='/')}") or {})
            for name in self._data.get("outputSnapshots") or []
        ]

    def _repr_html_(self) -> str:
        outputs = [_short_snapshot(str(n)) for n in self._data.get("outputSnapshots") or []]
        return job_html(self._data, outputs)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._repr_html_(), "application/json": self.data, "text/plain": repr(self)}

    def __repr__(self) -> str:
        state = self.state.removeprefix("JOB_STATE_")
        return f"<kamld.Job {self.name} {state} flavor={self._data.get('flavor')!r}>"


def _short_snapshot(name: str) -> str:
    """ "datasets/out/snapshots/<id>" as "out/<id prefix>" for a card (the full record needs a request)."""
    parts = name.split("/")
    return f"{parts[1]}/{parts[3][:12]}" if len(parts) == 4 else name


def _stream(client: Client, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A server-streaming REST route: one JSON object per line, {"result": ...} or {"error": status}."""
    resp = client.send("GET", path, params=params, stream=True)
    try:
        for line in resp.iter_lines():
            if not line:
                continue
            item = json.loads(line)
            if "error" in item:
                err = KamldError.from_status_json(item["error"], http_status=resp.status_code)
                raise err or error_for(13, f"stream {path} failed: {item['error']}")
            yield item.get("result") or {}
    except requests.exceptions.RequestException as exc:
        raise error_for(UNAVAILABLE, f"the stream {path} broke off: {exc}") from exc
    finally:
        resp.close()


def parse_mapping(spec: str, *, first: str) -> tuple[str, str]:
    """Split "iris@v1:/data" (first="ref") or "model:/out" (first="dataset") at the last ':' into the
    thing and its folder in the work directory (leading '/' dropped: paths are relative to the job's
    work directory)."""
    thing, sep, folder = spec.rpartition(":")
    if not sep or not thing or not folder.strip("/"):
        example = "iris@v1:/data" if first == "ref" else "model:/out"
        raise invalid_argument(f"{spec!r}: want {first}:/folder, e.g. {example}")
    return thing, folder.strip("/")


def _inputs(value: Mapping[str, str] | Iterable[str] | None) -> list[tuple[str, str]]:
    """(ref, folder) pairs from {"iris@v1": "data"} or ["iris@v1:/data"]."""
    if isinstance(value, Mapping):
        return [(ref, str(folder).strip("/")) for ref, folder in value.items()]
    return [parse_mapping(v, first="ref") for v in value or ()]


def _outputs(value: Mapping[str, str] | Iterable[str] | None) -> list[tuple[str, str]]:
    """(dataset, folder) pairs from {"out": "model"} or ["model:/out"]."""
    if isinstance(value, Mapping):
        return [(str(ds), folder.strip("/")) for folder, ds in value.items()]
    return [parse_mapping(v, first="dataset") for v in value or ()]


def _default_client() -> Client:
    from .api import get_client

    return get_client()


def run(
    target: str | Sequence[str],
    *args: str,
    inputs: Mapping[str, str] | Iterable[str] | None = None,
    outputs: Mapping[str, str] | Iterable[str] | None = None,
    flavor: str = "cpu",
    files: Iterable[str | os.PathLike[str]] = (),
    cpu: str = "",
    memory: str = "",
    gpu: int = 0,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    max_retries: int = 0,
    name: str = "",
    labels: Mapping[str, str] | None = None,
    job_id: str = "",
    wait: bool = False,
    client: Client | None = None,
) -> Job:
    """Submit a training job and return its handle.

    `target` is a Python script ("train.py", run as `python train.py *args`), a notebook ("eda.ipynb",
    executed headless; the executed copy is kept with the job), or a command as a list (["python", "-m",
    "mod"]). Scripts and notebooks are read here and sent with the job, as are `files`.
    `inputs` maps dataset refs to folders ({"iris@v1": "data"} or ["iris@v1:/data"]); each is resolved to
    a fixed snapshot at submit. `outputs` maps folders to datasets ({"out": "model"} or ["model:/out"]);
    each is committed as a snapshot when the job succeeds, with the job's lineage.
    """
    client = client or _default_client()
    job: dict[str, Any] = {"flavor": flavor, "displayName": name, "maxRetries": max_retries}
    work_files = [_work_file(Path(f)) for f in files]
    if isinstance(target, str):
        path = Path(target)
        work_files.append(_work_file(path))
        if path.suffix == ".ipynb":
            if args:
                raise invalid_argument("a notebook takes no arguments")
            job["notebook"] = path.name
        else:
            job["command"] = ["python", path.name, *args]
    else:
        job["command"] = [*target, *args]
    job["workingFiles"] = work_files
    job["inputs"] = [{"ref": ref, "path": folder} for ref, folder in _inputs(inputs)]
    job["outputs"] = [
        {"path": folder, "dataset": ds if ds.startswith("datasets/") else f"datasets/{ds}"}
        for ds, folder in _outputs(outputs)
    ]
    job["resources"] = {"cpu": cpu, "memory": memory, "gpu": gpu}
    if env:
        job["env"] = dict(env)
    if labels:
        job["labels"] = dict(labels)
    if timeout is not None:
        job["timeout"] = f"{timeout}s"
    params = {"jobId": job_id} if job_id else None
    handle = Job(client.request("POST", "/v1/jobs", params=params, json=job), client)
    return handle.wait() if wait else handle


def _work_file(path: Path) -> dict[str, Any]:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise error_for(3, f"cannot read {path}: {exc.strerror or exc}") from exc
    return {
        "path": PurePosixPath(path.name).as_posix(),
        "content": base64.b64encode(content).decode("ascii"),
        "executable": os.access(path, os.X_OK),
    }


def job(name: str, *, client: Client | None = None) -> Job:
    """The handle of an existing job ("jobs/<id>" or "<id>")."""
    client = client or _default_client()
    return Job(client.request("GET", _job_path(name)), client)


def jobs(*, states: Iterable[str] = (), limit: int = 50, client: Client | None = None) -> list[Job]:
    """Jobs, newest first."""
    client = client or _default_client()
    page = client.request("GET", "/v1/jobs", params={"pageSize": limit, "states": list(states)}) or {}
    return [Job(j, client) for j in page.get("jobs") or []]


def cancel(name: str, reason: str = "", *, client: Client | None = None) -> Job:
    """Cancel a job in any state; a finished job is returned unchanged."""
    return job(name, client=client).cancel(reason)


def flavors(*, client: Client | None = None) -> list[dict[str, Any]]:
    """The configured flavors and whether the active backend can run them."""
    client = client or _default_client()
    return list((client.request("GET", "/v1/flavors") or {}).get("flavors") or [])

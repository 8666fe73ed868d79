"""Training jobs through `kamld.run`, the job handle and the `%kamld run/jobs/logs/cancel` magics, against a
real `kamld serve` whose local backend runs real processes (in this test's Python environment)."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import kamld
from kamld.jobs import JobFailed
from kamld.magics import run as magic

from .conftest import ExternalSidecar

TRAIN = """\
import os, sys
rows = open("data/iris.csv").read().splitlines()
print("training on", len(rows) - 1, "rows", flush=True)
os.makedirs("out", exist_ok=True)
with open("out/model.txt", "w") as f:
    f.write("rows=%d args=%s\\n" % (len(rows) - 1, " ".join(sys.argv[1:])))
"""


@pytest.fixture
def sidecar(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ExternalSidecar]:
    # Local jobs run with this test's Python (it has nbconvert for notebooks), as a managed sidecar's run
    # with Jupyter's.
    monkeypatch.setenv("KAMLD_COMPUTE_LOCAL_PYTHON", sys.executable)
    external: ExternalSidecar = request.getfixturevalue("external_sidecar")
    monkeypatch.setenv("KAMLD_URL", external.url)
    monkeypatch.setenv("KAMLD_TOKEN", external.token)
    monkeypatch.chdir(tmp_path)
    kamld.set_client(None)
    yield external
    kamld.set_client(None)


def test_run_a_script_and_get_its_output_with_lineage(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    job = kamld.run("train.py", "--epochs", "3", inputs={"iris@v1": "data"}, outputs={"out": "model"})
    assert job.name.startswith("jobs/")
    assert job.state == "JOB_STATE_QUEUED"
    assert job.data["inputs"][0]["snapshot"].startswith("datasets/iris/snapshots/")
    job.wait(timeout=120)
    assert job.state == "JOB_STATE_SUCCEEDED"
    assert job.logs() == "training on 150 rows\n"
    states = [e["state"] for e in job.events]
    assert states[0] == "JOB_STATE_QUEUED"
    assert states[-1] == "JOB_STATE_SUCCEEDED"
    assert "JOB_STATE_RUNNING" in states

    [snap] = job.outputs
    assert snap["name"].startswith("datasets/model/snapshots/")
    assert snap["lineage"]["job"] == job.name
    assert snap["lineage"]["inputs"] == [job.data["inputs"][0]["snapshot"]]
    assert snap["lineage"]["codeDigest"] == job.data["codeDigest"]
    assert snap["lineage"]["image"] == "host"
    with kamld.open("model@v1/model.txt", "r") as f:
        assert f.read() == "rows=150 args=--epochs 3\n"


def test_run_a_notebook_headless(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": "import os\nos.makedirs('out', exist_ok=True)\n"
                "open('out/summary.txt', 'w').write(str(sum(range(10))))\nprint('notebook ran')",
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "eda.ipynb").write_text(json.dumps(nb))
    job = kamld.run("eda.ipynb", outputs=["summary:/out"])
    try:
        job.wait(timeout=180)
    except JobFailed:
        pytest.fail(f"notebook job failed: {job.events[-1]}\n{job.logs()}")
    [snap] = job.outputs
    assert snap["lineage"]["job"] == job.name
    with kamld.open("summary@v1/summary.txt", "r") as f:
        assert f.read() == "45"


def test_follow_logs_live_and_cancel(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import time\nfor i in range(3):\n    print('step', i, flush=True)\n    time.sleep(0.3)\n"
    )
    job = kamld.run("slow.py")
    out = io.StringIO()
    text = job.logs(follow=True, out=out)
    assert text == out.getvalue() == "step 0\nstep 1\nstep 2\n"
    assert job.wait(timeout=60).state == "JOB_STATE_SUCCEEDED"

    (tmp_path / "forever.py").write_text("import time\nprint('up', flush=True)\ntime.sleep(600)\n")
    long = kamld.run("forever.py")
    deadline = time.monotonic() + 60
    while long.refresh().state != "JOB_STATE_RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    long.cancel("not needed")
    with pytest.raises(JobFailed, match="CANCELLED"):
        long.wait(timeout=60)
    assert long.events[-1]["reason"] == "CancelledByUser"


def test_a_quiet_job_outlasting_the_read_timeout_is_followed_to_its_end(
    sidecar: ExternalSidecar, tmp_path: Path
) -> None:
    (tmp_path / "quiet.py").write_text("import time\ntime.sleep(4)\nprint('finally', flush=True)\n")
    client = kamld.Client(sidecar.url, sidecar.token, timeout=1.5)
    job = kamld.run("quiet.py", client=client)
    assert job.logs(follow=True, out=io.StringIO()) == "finally\n"
    assert job.wait(timeout=60).state == "JOB_STATE_SUCCEEDED"


def test_bad_jobs_are_refused_with_the_field(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    with pytest.raises(kamld.KamldError) as err:
        kamld.run("train.py", flavor="tpu-pod")
    assert err.value.code == 3
    assert "job.flavor" in str(err.value.field_violations)
    with pytest.raises(kamld.KamldError) as err:
        kamld.run(["python", "train.py; rm -rf /"])
    assert err.value.code == 3
    with pytest.raises(kamld.KamldError) as err:
        kamld.run("train.py", inputs={"iris@v99": "data"})
    assert err.value.code == 5
    with pytest.raises(ValueError, match="model:/out"):
        kamld.run("train.py", outputs=["model"])
    assert "unknown flavor" in magic("run train.py --flavor tpu-pod")


def test_magics_run_jobs_logs_cancel(
    sidecar: ExternalSidecar, tmp_path: Path, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    shell.run_line_magic(
        "kamld", "run train.py --input iris@v1:/data --output model:/out --flavor cpu --wait"
    )
    out = capsys.readouterr().out
    assert "training on 150 rows" in out, out
    assert "SUCCEEDED" in out
    assert "model@v1 ← jobs/" in out, out
    assert "← iris@" in out, out
    job_id = out.split("jobs/")[1].split()[0]

    listing = magic("jobs")
    assert job_id in listing
    assert "SUCCEEDED" in listing
    assert magic(f"logs {job_id}") == "training on 150 rows\n"

    (tmp_path / "forever.py").write_text("import time\ntime.sleep(600)\n")
    started = magic("run forever.py")
    assert "QUEUED" in started
    assert "%kamld logs" in started
    long_id = started.split()[0]
    cancelled = magic(f"cancel {long_id} -r enough")
    assert long_id in cancelled
    job = kamld.jobs.job(long_id).wait(timeout=60, check=False)
    assert job.state == "JOB_STATE_CANCELLED"
    shell.run_line_magic("kamld", f"logs {long_id} -f")
    assert "CANCELLED" in capsys.readouterr().out
    assert "not a job" in magic("logs a/b")


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "kamld")
    yield ip
    InteractiveShell.clear_instance()

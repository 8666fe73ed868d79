"""Pipelines through `kamld.pipeline`, the run handle and `%kamld pipeline`, against a real `kamld serve`
whose local backend runs each step as a real job (processes in this test's Python environment)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kamld
from kamld import pipelines
from kamld.magics import run as magic
from kamld.pipelines import PipelineFailed

from .conftest import ExternalSidecar

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pipelines"


@pytest.fixture
def sidecar(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ExternalSidecar]:
    monkeypatch.setenv("KAMLD_COMPUTE_LOCAL_PYTHON", sys.executable)
    external: ExternalSidecar = request.getfixturevalue("external_sidecar")
    monkeypatch.setenv("KAMLD_URL", external.url)
    monkeypatch.setenv("KAMLD_TOKEN", external.token)
    monkeypatch.chdir(tmp_path)
    kamld.set_client(None)
    yield external
    kamld.set_client(None)


def test_iris_pipeline_then_the_cache(sidecar: ExternalSidecar) -> None:
    run = kamld.pipeline(EXAMPLES / "iris" / "pipeline.yaml")
    assert run.name.startswith("pipelineRuns/")
    run.wait(timeout=180)
    assert [s.get("state") for s in run.steps] == ["PIPELINE_STEP_STATE_SUCCEEDED"] * 3
    assert "accuracy 0.9" in run.logs("evaluate")
    outputs = run.outputs
    model = outputs["train"]["model"]
    assert model["lineage"]["job"] == run.step("train")["job"]
    assert model["lineage"]["inputs"] == [outputs["process"]["split"]["name"]]
    with kamld.open("iris-metrics/metrics.json", "r") as f:
        assert json.load(f)["accuracy"] > 0.9

    plan = pipelines.plan(EXAMPLES / "iris" / "pipeline.yaml")
    assert [s.get("action") for s in plan] == ["cached"] * 3
    changed = pipelines.plan(EXAMPLES / "iris" / "pipeline.yaml", parameters={"seed": 8})
    assert [s.get("action") for s in changed] == ["run"] * 3
    assert changed[0].get("reasons") == ["command changed", "parameters changed"]

    again = kamld.pipeline(EXAMPLES / "iris" / "pipeline.yaml", wait=True)
    assert [s.get("state") for s in again.steps] == ["PIPELINE_STEP_STATE_CACHED"] * 3
    assert {k: {f: s["name"] for f, s in v.items()} for k, v in again.outputs.items()} == {
        k: {f: s["name"] for f, s in v.items()} for k, v in outputs.items()
    }
    assert again.step("train").get("cachedFrom") == run.name
    assert "accuracy 0.9" in again.logs("evaluate"), "a cached step's log is the log of the job that made it"


def test_a_failing_step_skips_the_rest(sidecar: ExternalSidecar) -> None:
    spec = {
        "name": "failing",
        "steps": [
            {
                "name": "boom",
                "command": ["python3", "-c", "import sys; sys.exit(3)"],
                "retries": {"limit": 1, "on_exit_codes": [3]},
            },
            {"name": "after", "command": ["true"], "after": ["boom"]},
        ],
    }
    run = kamld.pipeline(spec)
    with pytest.raises(PipelineFailed, match="failed steps: boom"):
        run.wait(timeout=120)
    boom, after = run.steps
    assert boom.get("state") == "PIPELINE_STEP_STATE_FAILED"
    assert len(boom.get("jobs") or []) == 2, "exit code 3 is retried once"
    assert after.get("state") == "PIPELINE_STEP_STATE_SKIPPED"


def test_bad_pipeline_names_step_and_field(sidecar: ExternalSidecar) -> None:
    with pytest.raises(kamld.KamldError) as exc:
        kamld.pipeline({"name": "bad", "steps": [{"name": "a", "command": ["true"], "after": ["nope"]}]})
    assert exc.value.code == 3
    fields = [v["field"] for d in exc.value.details for v in d.get("fieldViolations", [])]
    assert fields == ["steps.a.after[0]"]


def test_magic_runs_and_plans(sidecar: ExternalSidecar) -> None:
    hello = str(EXAMPLES / "hello.yaml")
    out = magic(f"pipeline run {hello} -p greeting=Hey")
    assert "SUCCEEDED" in out.splitlines()[0]
    run_id = out.split()[0].removeprefix("pipelineRuns/")
    assert magic(f"pipeline logs {run_id} last") == "Hey, world!\n"
    assert "0 of 3 steps run" in magic(f"pipeline plan {hello} -p greeting=Hey")
    assert run_id in magic("pipeline ls")
    assert "CACHED" not in magic(f"pipeline get {run_id}")
    assert "cannot read" in magic(f"pipeline plan {EXAMPLES / 'missing.yaml'}")
    assert "takes a run" in magic("pipeline get")

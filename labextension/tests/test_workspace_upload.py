"""POST {base_url}kamld/workspace-upload: workspace files streamed into a dataset's draft (real sidecar)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import Fetch, fetch_json, wait_running


def _headers() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def _create_dataset(jp_fetch: Fetch, dataset: str) -> None:
    response, _ = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "datasets",
        method="POST",
        params={"datasetId": dataset},
        body=b'{"description": ""}',
        headers=_headers(),
    )
    assert response.code == 200, response.body


async def _upload(jp_fetch: Fetch, **request: Any) -> tuple[int, list[dict[str, Any]], bytes]:
    response = await jp_fetch(
        "kamld",
        "workspace-upload",
        method="POST",
        body=json.dumps(request).encode(),
        headers=_headers(),
        raise_error=False,
    )
    lines = []
    if response.code == 200:
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.body.decode().splitlines() if line]
    return response.code, lines, response.body


async def test_uploads_a_file_and_a_folder_into_the_draft(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    await wait_running(jp_fetch)
    await _create_dataset(jp_fetch, "uploaded")
    big = bytes(range(256)) * 4096  # 1 MiB: several chunks
    (jp_root_dir / "iris.csv").write_bytes(b"a,b\n1,2\n")
    (jp_root_dir / "raw" / "deep").mkdir(parents=True)
    (jp_root_dir / "raw" / "big.bin").write_bytes(big)
    (jp_root_dir / "raw" / "deep" / "notes.txt").write_text("hello\n")

    code, lines, body = await _upload(jp_fetch, paths=["iris.csv", "raw"], dataset="uploaded", prefix="data/")
    assert code == 200, body
    done = {line["path"]: line["file"] for line in lines if line.get("done")}
    assert set(done) == {"data/iris.csv", "data/raw/big.bin", "data/raw/deep/notes.txt"}
    assert not [line for line in lines if "error" in line]
    progress = [line for line in lines if line["path"] == "data/raw/big.bin" and "sent" in line]
    assert len(progress) > 2
    assert progress[-1] == {"path": "data/raw/big.bin", "sent": len(big), "size": len(big)}

    response, listing = await fetch_json(
        jp_fetch,
        "kamld",
        "api",
        "v1",
        "datasets",
        "uploaded",
        "files",
        params={"ref": "draft", "recursive": "true"},
    )
    assert response.code == 200, response.body
    sizes = {f["path"]: int(f["size"]) for f in listing["files"]}
    assert sizes == {"data/iris.csv": 8, "data/raw/big.bin": len(big), "data/raw/deep/notes.txt": 6}


async def test_paths_outside_the_root_are_refused(jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path) -> None:
    await wait_running(jp_fetch)
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("secret")
    (jp_root_dir / "escape").symlink_to(outside)
    for path in ["../outside-secret.txt", "escape", "/etc/passwd/../../x", "missing.txt"]:
        code, _, body = await _upload(jp_fetch, paths=[path], dataset="iris")
        assert code == 400, (path, body)


async def test_missing_dataset_is_an_error_line(jp_fetch: Fetch, jp_root_dir: Path) -> None:
    await wait_running(jp_fetch)
    (jp_root_dir / "a.txt").write_text("x")
    code, lines, body = await _upload(jp_fetch, paths=["a.txt"], dataset="nope")
    assert code == 200, body
    assert lines[-1]["path"] == "a.txt"
    assert lines[-1]["error"]["code"] == 5

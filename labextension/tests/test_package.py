"""Packaging and the pieces shared by server, kernels and panel: what `pip install` wires up."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kamld
from kamld.connection import (
    ConnectionInfo,
    read_connection_file,
    remove_connection_file,
    write_connection_file,
)

from .conftest import EXPECTED_VERSION, REPO_ROOT

LABEXTENSION = REPO_ROOT / "labextension"


def test_one_version_everywhere() -> None:
    package_json = json.loads((LABEXTENSION / "package.json").read_text())
    assert kamld.__version__ == EXPECTED_VERSION == package_json["version"]


def test_kernel_side_imports_no_server_code() -> None:
    # Kernels import kamld (client, magics, connection); Jupyter's server stack must stay out of them.
    code = (
        "import sys, kamld, kamld.client, kamld.connection, kamld.errors, kamld.magics;"
        "kamld._jupyter_server_extension_points(); kamld._jupyter_labextension_paths();"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('jupyter_server', 'tornado'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(LABEXTENSION)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_extension_entry_points() -> None:
    points = kamld._jupyter_server_extension_points()
    assert [p["module"] for p in points] == ["kamld.server"]
    assert kamld._jupyter_labextension_paths() == [{"src": "labextension", "dest": "kamld"}]
    package_json = json.loads((LABEXTENSION / "package.json").read_text())
    assert package_json["name"] == "kamld"
    assert package_json["jupyterlab"]["outputDir"] == "kamld/labextension"


def test_server_extension_is_enabled_by_installed_config() -> None:
    enabled = json.loads((LABEXTENSION / "jupyter-config" / "server-config" / "kamld.json").read_text())
    assert enabled == {"ServerApp": {"jpserver_extensions": {"kamld": True}}}
    pyproject = tomllib.loads((LABEXTENSION / "pyproject.toml").read_text())
    shared = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    assert shared["kamld/labextension"] == "share/jupyter/labextensions/kamld"
    assert shared["install.json"] == "share/jupyter/labextensions/kamld/install.json"
    builder = pyproject["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert builder["build-kwargs"]["build_cmd"] == "build:prod"
    assert "kamld/labextension/package.json" in builder["ensured-targets"]
    scripts = json.loads((LABEXTENSION / "package.json").read_text())["scripts"]
    assert {"build", "build:prod"} <= set(scripts)


def test_connection_file_is_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = write_connection_file(
            tmp_path / "runtime" / "kamld-connection.json",
            ConnectionInfo(url="http://127.0.0.1:1", token="secret-token-0123456789", pid=1, mode="managed"),
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == "secret-token-0123456789"
    info = read_connection_file(path)
    assert (info.url, info.token, info.pid, info.mode) == (
        "http://127.0.0.1:1",
        "secret-token-0123456789",
        1,
        "managed",
    )
    assert "secret-token" not in repr(info)


def test_connection_file_is_removed_only_by_its_owner(tmp_path: Path) -> None:
    path = write_connection_file(tmp_path / "c.json", ConnectionInfo(url="http://x", token="ours-0123456789"))
    # Another Jupyter server replaced it: ours must not delete theirs.
    assert not remove_connection_file(path, "someone-elses-token")
    assert path.exists()
    assert remove_connection_file(path, "ours-0123456789")
    assert not path.exists()


@pytest.mark.parametrize("content", ["", "{", '{"url": "http://x"}', "[]"])
def test_bad_connection_files_are_explained(tmp_path: Path, content: str) -> None:
    path = tmp_path / "kamld-connection.json"
    path.write_text(content)
    with pytest.raises(kamld.KamldError) as caught:
        read_connection_file(path)
    assert caught.value.code == 14
    assert str(path) in caught.value.message

"""The built platform wheel, installed where there is no Go, Node or npm, runs the Datasets panel's sidecar.

`make test-dist` runs this against the wheel `make dist` wrote (env KAMLD_WHEEL). It makes a new virtual
environment, installs the wheel with PATH holding only that environment, starts `jupyter lab`, and waits for
the server extension to report the bundled kamld running, at the extension's own version.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

WHEEL = os.environ.get("KAMLD_WHEEL", "")
TOKEN = "wheel-test-token-0123456789"  # noqa: S105 - a throwaway token for a loopback-only server


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not WHEEL:
        pytest.fail("KAMLD_WHEEL names the wheel to test (make test-dist sets it)")
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    path = str(bin_dir)  # nothing else: no go, node or npm
    for tool in ("go", "node", "npm"):
        assert shutil.which(tool, path=path) is None, f"{tool} must not be on the test's PATH"
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", WHEEL],
        env={**_base_env(), "PATH": path},
        check=True,
    )
    return env_dir


def _base_env() -> dict[str, str]:
    keep = ("HOME", "LANG", "PIP_INDEX_URL", "PIP_CACHE_DIR", "SSL_CERT_FILE")
    return {k: v for k, v in os.environ.items() if k in keep}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lab")
    port = _free_port()
    env = {
        **_base_env(),
        "PATH": str(installed / "bin"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "KAMLD_DATA_DIR": str(root / "kamld"),
    }
    argv = [
        str(installed / "bin" / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.getuid() == 0:
        argv.append("--allow-root")
    log = (root / "lab.log").open("w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        print((root / "lab.log").read_text(), file=sys.stderr)


def _get(url: str) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})  # noqa: S310 - loopback
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
        return json.loads(resp.read())


def _status(base: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = _get(f"{base}/kamld/status")
            if isinstance(last, dict) and last.get("state") == "running":
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"the bundled sidecar did not start: {last}")


def test_bundled_sidecar_connected(lab: str, installed: Path) -> None:
    status = _status(lab)
    assert status["mode"] == "managed"
    assert Path(status["binary"]).is_relative_to(installed), status["binary"]
    assert status["binary"].endswith("/kamld/bin/kamld")
    assert status["sidecarVersion"] == status["extensionVersion"]


def test_labextension_prebuilt_is_served(lab: str) -> None:
    _status(lab)
    settings = _get(f"{lab}/lab/api/settings/kamld:plugin")
    assert settings["id"] == "kamld:plugin"


def test_console_script_runs_the_bundled_binary(installed: Path) -> None:
    out = subprocess.run(
        [installed / "bin" / "kamld", "version", "--json"],
        env={"PATH": str(installed / "bin")},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)
    assert info["platform"] == "linux/amd64" or info["platform"].startswith("linux/")
    repo_version = (Path(__file__).resolve().parents[2] / "VERSION").read_text().strip()
    assert info["version"] == repo_version


def test_sdist_without_go_says_it_needs_go(tmp_path: Path) -> None:
    sdist = os.environ.get("KAMLD_SDIST", "")
    if not sdist:
        pytest.fail("KAMLD_SDIST names the sdist to test (make test-dist sets it)")
    # This interpreter has the build backend; PATH holds no Go, so the build hook must say it needs Go.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", tmp_path, sdist],
        env={**_base_env(), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "building kamld from source needs Go" in result.stdout + result.stderr

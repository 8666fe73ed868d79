"""The kernel side: `kamld.Client` and `%kamld status`, finding the real sidecar like a notebook does."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import kamld
from kamld.connection import ConnectionInfo, write_connection_file

from .conftest import (
    EXPECTED_VERSION,
    ExternalSidecar,
    Fetch,
    free_port,
    read_connection,
    wait_for_status,
    wait_running,
)

# -- against the sidecar the server extension manages (the connection file it writes) -------------------


async def test_client_finds_the_managed_sidecar(jp_fetch: Fetch, connection_file: Path) -> None:
    await wait_running(jp_fetch)
    client = await asyncio.to_thread(kamld.Client)
    info = await asyncio.to_thread(client.info)
    assert info["version"] == EXPECTED_VERSION
    assert client.url == read_connection(connection_file)["url"]
    assert str(connection_file) in client.connection.source


async def test_client_follows_a_restarted_sidecar(jp_fetch: Fetch, connection_file: Path) -> None:
    await wait_running(jp_fetch)
    client = await asyncio.to_thread(kamld.Client)
    before = read_connection(connection_file)
    os.kill(before["pid"], signal.SIGKILL)
    await wait_for_status(jp_fetch, lambda s: s["state"] == "running" and s["restarts"] >= 1)
    # New port, new token: the client looks the sidecar up again instead of failing.
    info = await asyncio.to_thread(client.info)
    assert info["version"] == EXPECTED_VERSION
    assert client.url == read_connection(connection_file)["url"] != before["url"]


# -- against a separately started sidecar ---------------------------------------------------------------


@pytest.fixture
def kernel_env(jp_environ: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernel's environment: a private Jupyter runtime dir, no KAMLD_* (conftest clears those)."""
    runtime = tmp_path / "kernel-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    return runtime


def test_client_from_env_url_and_token(
    kernel_env: Path, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    with kamld.Client() as client:
        info = client.info()
    assert info["version"] == EXPECTED_VERSION
    assert info["identity"] == getpass.getuser()
    assert client.url == external_sidecar.url


def test_client_from_env_url_and_token_file(
    kernel_env: Path, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN_FILE", str(external_sidecar.token_file))
    # On JupyterHub the hub's user name is the acting identity.
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    with kamld.Client() as client:
        assert client.info()["identity"] == "bob"


def test_client_from_the_default_connection_file(kernel_env: Path, external_sidecar: ExternalSidecar) -> None:
    write_connection_file(
        kernel_env / "kamld-connection.json",
        ConnectionInfo(url=external_sidecar.url, token=external_sidecar.token, mode="external"),
    )
    with kamld.Client() as client:
        assert client.info()["version"] == EXPECTED_VERSION


def test_client_from_env_connection_file(
    kernel_env: Path, external_sidecar: ExternalSidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere" / "kamld.json"
    write_connection_file(path, ConnectionInfo(url=external_sidecar.url, token=external_sidecar.token))
    monkeypatch.setenv("KAMLD_CONNECTION_FILE", str(path))
    with kamld.Client() as client:
        assert client.info()["version"] == EXPECTED_VERSION
        assert str(path) in client.connection.source


def test_env_wins_over_the_connection_file(
    kernel_env: Path, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_connection_file(
        kernel_env / "kamld-connection.json",
        ConnectionInfo(url=f"http://127.0.0.1:{free_port()}", token="stale-token-0123456789"),
    )
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    with kamld.Client() as client:
        assert client.info()["version"] == EXPECTED_VERSION


def test_explicit_url_token_and_user(kernel_env: Path, external_sidecar: ExternalSidecar) -> None:
    with kamld.Client(external_sidecar.url, external_sidecar.token, user="carol") as client:
        assert client.info()["identity"] == "carol"


def test_wrong_token_is_unauthenticated(kernel_env: Path, external_sidecar: ExternalSidecar) -> None:
    with (
        kamld.Client(external_sidecar.url, "wrong-token-0123456789") as client,
        pytest.raises(kamld.KamldError) as caught,
    ):
        client.info()
    err = caught.value
    assert err.code == 16
    assert err.http_status == 401
    assert err.reason == "TOKEN_INVALID"
    assert "UNAUTHENTICATED" in str(err)
    assert "wrong-token" not in str(err)  # a token never ends up in an error message


def test_sidecar_errors_keep_their_code(kernel_env: Path, external_sidecar: ExternalSidecar) -> None:
    with kamld.Client(external_sidecar.url, external_sidecar.token) as client:
        with pytest.raises(kamld.KamldError) as caught:
            client.request("GET", "/v1/no-such-route")
        assert caught.value.code == 5
        with pytest.raises(kamld.KamldError) as caught:
            client.request("POST", "/v1/datasets", json={"bogus": 1})
        assert caught.value.code == 3
        assert caught.value.http_status == 400
        assert any("BadRequest" in d.get("@type", "") for d in caught.value.details)


def test_no_sidecar_anywhere(kernel_env: Path) -> None:
    with pytest.raises(kamld.KamldError) as caught:
        kamld.Client()
    assert caught.value.code == 14
    assert str(kernel_env / "kamld-connection.json") in caught.value.message
    assert "KAMLD_URL" in caught.value.message  # says how to fix it


def test_sidecar_gone(kernel_env: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with kamld.Client(url, "t" * 32, timeout=5) as client, pytest.raises(kamld.KamldError) as caught:
        client.info()
    assert caught.value.code == 14
    assert url in caught.value.message


def test_half_configured_env_is_explained(kernel_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMLD_URL", "http://127.0.0.1:1")
    with pytest.raises(kamld.KamldError) as caught:
        kamld.Client()
    assert "KAMLD_TOKEN" in caught.value.message


# -- IPython --------------------------------------------------------------------------------------------


@pytest.fixture
def shell(kernel_env: Path) -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "kamld")
    yield ipython
    InteractiveShell.clear_instance()


def test_magic_status(
    shell: InteractiveShell,
    external_sidecar: ExternalSidecar,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    shell.run_line_magic("kamld", "status")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"kamld {EXPECTED_VERSION} at {external_sidecar.url}: SERVING"
    # One line per backend: capability, backend, health.
    for capability, backend, health in (
        ("blob", "fs", "SERVING"),
        ("index", "bleve", "SERVING"),
        ("sql", "duckdb", "UNIMPLEMENTED"),
        ("compute", "local", "UNIMPLEMENTED"),
    ):
        matching = [line.split() for line in lines if line.split()[:1] == [capability]]
        assert len(matching) == 1, out
        assert matching[0][1:3] == [backend, health], out
    assert external_sidecar.token not in out


def test_magic_status_without_a_sidecar(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("kamld", "status")
    out = capsys.readouterr().out
    assert out.startswith("kamld: UNAVAILABLE (14):")
    assert "Traceback" not in out


def test_magic_usage(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("kamld", "")
    assert "status" in capsys.readouterr().out
    shell.run_line_magic("kamld", "frobnicate")
    assert "unknown subcommand 'frobnicate'" in capsys.readouterr().out


def test_load_ext_registers_the_magic(shell: InteractiveShell) -> None:
    assert "kamld" in shell.magics_manager.magics["line"]


def test_the_magic_uses_the_same_lookup_as_the_client(
    shell: InteractiveShell,
    kernel_env: Path,
    external_sidecar: ExternalSidecar,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only the connection file, as the server extension would leave it.
    write_connection_file(
        kernel_env / "kamld-connection.json",
        ConnectionInfo(url=external_sidecar.url, token=external_sidecar.token),
    )
    shell.run_line_magic("kamld", "status")
    assert capsys.readouterr().out.startswith(f"kamld {EXPECTED_VERSION} at {external_sidecar.url}")

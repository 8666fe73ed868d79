"""The sidecar the proxy talks to: a managed `kamld serve` child process, or an external one.

Both kinds publish the connection file kernels read and expose one `status()` for the panel.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from .._version import __version__
from ..connection import ConnectionInfo, read_token_file, remove_connection_file, write_connection_file
from ..errors import UNAVAILABLE, KamldError
from .config import AUTH_HUB, AUTH_TOKEN, EXTERNAL, MANAGED, Kamld

STARTING = "starting"
RUNNING = "running"
RESTARTING = "restarting"
FAILED = "failed"
STOPPED = "stopped"
EXTERNAL_STATE = "external"

STDERR_TAIL_LINES = 20
# Far above any dataset file: the proxy streams, so this bounds nothing but tornado's sanity check.
MAX_PROXY_BODY = 1 << 50


@dataclass(frozen=True)
class Endpoint:
    """A reachable sidecar: its REST URL and the token to send."""

    url: str
    token: str = field(repr=False)
    grpc_addr: str | None = None
    version: str | None = None
    pid: int | None = None
    # "token": the token holder names the user (X-Kamld-User); "hub": the token itself is the user's.
    auth: str = AUTH_TOKEN


class SidecarUnavailable(Exception):
    """The proxy has nowhere to send a request; the message says why."""


class Sidecar(ABC):
    """State shared by both modes: what the panel sees and what the proxy needs."""

    mode: str

    def __init__(self, config: Kamld, log: logging.Logger) -> None:
        self.config = config
        self.log = log
        self.state = STARTING
        self.message = "starting"
        self.restarts = 0
        self.binary: str | None = None
        self.endpoint: Endpoint | None = None
        self._http: SimpleAsyncHTTPClient | None = None
        self._published_token: str | None = None

    @abstractmethod
    async def start(self) -> None:
        """Begin serving; must not raise (failures become state and message)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop with Jupyter; idempotent."""

    async def refresh(self) -> None:  # noqa: B027 - an optional hook, a no-op unless overridden
        """Bring status up to date before it is reported (external mode probes the sidecar)."""

    @property
    def sidecar_version(self) -> str | None:
        return self.endpoint.version if self.endpoint else None

    def status(self) -> dict[str, Any]:
        """{base_url}kamld/status, as the contract defines it. Never includes the token."""
        return {
            "mode": self.mode,
            "state": self.state,
            "message": self.message,
            "extensionVersion": __version__,
            "sidecarVersion": self.sidecar_version,
            "restarts": self.restarts,
            "binary": self.binary,
        }

    def require_endpoint(self) -> Endpoint:
        if self.endpoint is None:
            raise SidecarUnavailable(f"{self.state}: {self.message}")
        return self.endpoint

    @property
    def http(self) -> SimpleAsyncHTTPClient:
        """One HTTP client per sidecar, created on the running loop (tornado binds clients to it)."""
        if self._http is None:
            # force_instance: the proxy must not share (or close) the process-wide AsyncHTTPClient,
            # and it needs many concurrent slots because downloads and log streams are long-lived.
            self._http = SimpleAsyncHTTPClient(
                force_instance=True, max_clients=64, max_body_size=MAX_PROXY_BODY
            )
        return self._http

    def _close_http(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _set(self, state: str, message: str) -> None:
        if (state, message) != (self.state, self.message):
            log = self.log.warning if state in (FAILED, RESTARTING) else self.log.info
            log("kamld | %s: %s", state, message)
        self.state, self.message = state, message

    def _publish(self, endpoint: Endpoint) -> None:
        """Write the connection file kernels use; a failure here must not take the proxy down."""
        info = ConnectionInfo(
            url=endpoint.url,
            token=endpoint.token,
            grpc_addr=endpoint.grpc_addr,
            version=endpoint.version,
            mode=self.mode,
            pid=endpoint.pid,
            auth=endpoint.auth,
        )
        path = self.config.connection_file_path()
        try:
            write_connection_file(path, info)
        except OSError as exc:
            self.log.error("kamld | cannot write the connection file %s: %s", path, exc)
            return
        self._published_token = endpoint.token
        self.log.info("kamld | connection file: %s", path)

    def _unpublish(self) -> None:
        if self._published_token is not None:
            remove_connection_file(self.config.connection_file_path(), self._published_token)
            self._published_token = None


class _StartFailed(Exception):
    """One launch attempt failed; the message is what the user should read."""


class ManagedSidecar(Sidecar):
    """Starts `kamld serve` on loopback ports with a fresh token, supervises it, stops it with Jupyter."""

    mode = MANAGED

    def __init__(self, config: Kamld, log: logging.Logger) -> None:
        super().__init__(config, log)
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._private_dir: Path | None = None
        self._tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        # JupyterLab's root directory: job working files named by path are read from it.
        self.workspace = ""

    @property
    def pid(self) -> int | None:
        """The pid of the running child, if any."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> None:
        if self._supervisor is not None:
            return
        if self.config.auth == AUTH_HUB:
            # A managed sidecar is this user's alone and trusts its own token; Hub tokens are for a
            # shared kamld, which only external mode reaches.
            self._set(FAILED, 'auth "hub" needs external mode: set c.Kamld.url to the shared kamld')
            return
        # mkdtemp makes the directory 0700: the token file and the ready file are this user's only.
        self._private_dir = Path(tempfile.mkdtemp(prefix="kamld-"))
        self._supervisor = asyncio.ensure_future(self._supervise())

    async def stop(self) -> None:
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.returncode is None:
            await self._terminate(proc)
        if self._supervisor is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._supervisor, timeout=self.config.stop_timeout + 2)
        await self._drain_pump()
        self._unpublish()
        self.endpoint = None
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None
        self._close_http()
        self._set(STOPPED, "stopped with Jupyter")

    def kill_now(self) -> None:
        """atexit safety net when Jupyter exits without running its cleanup: SIGTERM, no waiting."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)

    # -- supervision -------------------------------------------------------------------------------------

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.config.restart_backoff_initial
        first = True
        while not self._stopping.is_set():
            started = loop.time()
            if not first:
                self.restarts += 1
            first = False
            try:
                await self._launch()
            except _StartFailed as exc:
                if self._stopping.is_set():
                    break
                self._set(FAILED, f"{exc}; trying again in {delay:g} s")
            else:
                returncode = await self._wait_exit()
                if self._stopping.is_set():
                    break
                ran = loop.time() - started
                if ran >= self.config.restart_backoff_max:
                    # It was healthy for a while: this is a new incident, not a crash loop.
                    delay = self.config.restart_backoff_initial
                self._set(
                    RESTARTING,
                    f"kamld exited with {_describe_exit(returncode)} after {ran:.1f} s"
                    f"{self._tail_text()}; restarting in {delay:g} s",
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.config.restart_backoff_max)

    async def _wait_exit(self) -> int:
        assert self._proc is not None
        returncode = await self._proc.wait()
        await self._drain_pump()
        self.endpoint = None
        self._unpublish()
        return returncode

    async def _launch(self) -> None:
        binary, wanted = self.config.resolve_binary()
        self.binary = binary
        if binary is None:
            raise _StartFailed(
                f"kamld binary not found: {wanted} (set c.Kamld.binary or KAMLD_BINARY to the kamld "
                "executable, or put kamld on PATH)"
            )
        assert self._private_dir is not None
        token = secrets.token_urlsafe(32)
        token_file = self._private_dir / "token"
        ready_file = self._private_dir / "ready.json"
        _write_private(token_file, token)
        with contextlib.suppress(FileNotFoundError):
            ready_file.unlink()
        argv = [
            binary,
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--token-file",
            str(token_file),
            "--ready-file",
            str(ready_file),
        ]
        if self.config.data_dir:
            argv += ["--data-dir", self.config.data_dir]
        # Local jobs run in Jupyter's own Python environment and may read working files from its root.
        argv += ["--compute-local-python", sys.executable]
        if self.workspace:
            argv += ["--compute-workspace", self.workspace]
        # The sidecar's graceful stop ends before Jupyter's grace period does: stopping never needs SIGKILL.
        graceful = max(self.config.stop_timeout - 1.0, self.config.stop_timeout / 2)
        argv += ["--shutdown-timeout", f"{graceful:g}s"]
        argv += list(self.config.extra_args)
        if self.state != RESTARTING and self.state != FAILED:
            self._set(STARTING, f"starting {binary}")
        self._tail.clear()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                # Its own session: Ctrl-C in Jupyter's terminal must not kill the sidecar behind
                # Jupyter's back (Jupyter asks for confirmation, then stops it itself).
                start_new_session=True,
                preexec_fn=_DIE_WITH_PARENT,
            )
        except OSError as exc:
            raise _StartFailed(f"cannot run {binary}: {exc.strerror or exc}") from exc
        self._pump = asyncio.ensure_future(self._pump_output(self._proc))
        self.endpoint = await self._wait_ready(self._proc, ready_file, token)
        self._publish(self.endpoint)
        if self.endpoint.version != __version__:
            # A wheel bundles both at one version; a mismatch means KAMLD_BINARY or PATH chose another build.
            # The panel shows it too (status' extensionVersion vs sidecarVersion).
            self.log.warning(
                "kamld | version mismatch: binary %s is %s, the extension is %s",
                binary,
                self.endpoint.version,
                __version__,
            )
        self._set(
            RUNNING,
            f"kamld {self.endpoint.version} running at {self.endpoint.url} (pid {self.endpoint.pid})",
        )

    async def _wait_ready(self, proc: asyncio.subprocess.Process, ready_file: Path, token: str) -> Endpoint:
        """Ready = the ready file exists and /readyz answers 200, within ready_timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.ready_timeout
        interval = 0.02
        while True:
            if self._stopping.is_set() and proc.returncode is None:
                # Jupyter is stopping while this one starts: do not leave it behind.
                await self._terminate(proc)
            if proc.returncode is not None:
                await self._drain_pump()
                raise _StartFailed(
                    f"kamld exited with {_describe_exit(proc.returncode)} before it was ready"
                    f"{self._tail_text()}"
                )
            ready = _read_ready_file(ready_file)
            if ready is not None and await self._probe(str(ready["http_url"])):
                return Endpoint(
                    url=str(ready["http_url"]).rstrip("/"),
                    token=token,
                    grpc_addr=ready.get("grpc_addr"),
                    version=ready.get("version"),
                    pid=ready.get("pid") if isinstance(ready.get("pid"), int) else proc.pid,
                )
            if loop.time() >= deadline:
                await self._terminate(proc)
                raise _StartFailed(
                    f"kamld did not become ready within {self.config.ready_timeout:g} s{self._tail_text()}"
                )
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 0.25)

    async def _probe(self, url: str) -> bool:
        try:
            resp = await self.http.fetch(
                HTTPRequest(f"{url.rstrip('/')}/readyz", connect_timeout=2, request_timeout=2),
                raise_error=False,
            )
        except Exception:  # any failure means "not ready yet"
            return False
        return resp.code == 200

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM, then SIGKILL after stop_timeout: the sidecar gets to finish in-flight calls."""
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=self.config.stop_timeout)
        except TimeoutError:
            self.log.warning(
                "kamld | pid %s ignored SIGTERM for %g s: killing it", proc.pid, self.config.stop_timeout
            )
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    # -- output ------------------------------------------------------------------------------------------

    async def _pump_output(self, proc: asyncio.subprocess.Process) -> None:
        """Copy the sidecar's log lines to Jupyter's log, keeping the last ones for error messages."""
        assert proc.stdout is not None
        while True:
            try:
                raw = await proc.stdout.readline()
            except ValueError:
                # A line longer than the stream's limit: take what is there rather than stall.
                raw = await proc.stdout.read(64 * 1024)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            self._tail.append(line)
            _log_sidecar_line(self.log, proc.pid, line)

    async def _drain_pump(self) -> None:
        if self._pump is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._pump), timeout=1.0)
            if not self._pump.done():
                self._pump.cancel()

    def _tail_text(self) -> str:
        if not self._tail:
            return ""
        return "; last output:\n" + "\n".join(self._tail)


class ExternalSidecar(Sidecar):
    """A sidecar started by someone else (a Kubernetes sidecar container): url + token, no process."""

    mode = EXTERNAL
    PROBE_INTERVAL = 2.0

    def __init__(self, config: Kamld, log: logging.Logger) -> None:
        super().__init__(config, log)
        self._version: str | None = None
        self._last_probe = float("-inf")
        self._probe_task: asyncio.Future[None] | None = None

    @property
    def sidecar_version(self) -> str | None:
        return self._version

    async def start(self) -> None:
        url = (self.config.url or "").rstrip("/")
        if not url:
            self._set(FAILED, "external mode needs a URL: set c.Kamld.url or KAMLD_URL")
            return
        try:
            token = self._token()
        except KamldError as exc:
            self._set(FAILED, exc.message)
            return
        self.endpoint = Endpoint(url=url, token=token, auth=self.config.auth)
        self._publish(self.endpoint)
        self._set(EXTERNAL_STATE, f"using the external kamld at {url}")
        await self.refresh()

    def _token(self) -> str:
        """The bearer to send: the user's Hub token (auth "hub") or the configured sidecar token."""
        if self.config.auth == AUTH_HUB:
            token = os.environ.get("JUPYTERHUB_API_TOKEN", "").strip()
            if not token:
                raise KamldError(
                    UNAVAILABLE,
                    'auth "hub" needs $JUPYTERHUB_API_TOKEN: run JupyterLab as a JupyterHub single-user '
                    'server, or use auth "token" with a sidecar token',
                )
            return token
        token = self.config.token or (
            read_token_file(self.config.token_file) if self.config.token_file else ""
        )
        if not token:
            raise KamldError(
                UNAVAILABLE,
                "external mode needs a token: set c.Kamld.token_file / KAMLD_TOKEN_FILE "
                "or c.Kamld.token / KAMLD_TOKEN",
            )
        return token

    async def refresh(self) -> None:
        """Ask the sidecar for its version now and then, so that status tells reachable from not.

        Concurrent callers share one probe; a status request never reports an older answer than the
        probe in flight.
        """
        if self.endpoint is None:
            return
        loop = asyncio.get_running_loop()
        if self._probe_task is None or (
            self._probe_task.done() and loop.time() - self._last_probe >= self.PROBE_INTERVAL
        ):
            self._last_probe = loop.time()
            self._probe_task = asyncio.ensure_future(self._probe(self.endpoint))
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._probe_task)

    async def _probe(self, endpoint: Endpoint) -> None:
        url = endpoint.url
        try:
            resp = await self.http.fetch(
                HTTPRequest(
                    f"{url}/v1/system/info",
                    headers={"Authorization": f"Bearer {endpoint.token}"},
                    connect_timeout=2,
                    request_timeout=3,
                ),
                raise_error=False,
            )
        except Exception as exc:  # any failure means "not reachable"; say which
            self._report(None, f"the external kamld at {url} is not reachable: {exc}")
            return
        if resp.code != 200:
            err = KamldError.from_status_json(_json_or_none(resp.body), http_status=resp.code)
            why = str(err) if err else f"HTTP {resp.code}"
            self._report(None, f"the external kamld at {url} refused the call: {why}")
            return
        info = _json_or_none(resp.body)
        version = str(info["version"]) if isinstance(info, dict) and info.get("version") else None
        self._report(version, f"using the external kamld {version} at {url}")

    def _report(self, version: str | None, message: str) -> None:
        if self.endpoint is None:
            return  # stopped while the probe ran: keep saying "stopped"
        self._version = version
        self._set(EXTERNAL_STATE, message)

    async def stop(self) -> None:
        self.endpoint = None
        if self._probe_task is not None and not self._probe_task.done():
            self._probe_task.cancel()
        self._unpublish()
        self._close_http()
        self._set(STOPPED, "stopped with Jupyter")


def make_sidecar(config: Kamld, log: logging.Logger) -> Sidecar:
    if config.effective_mode == EXTERNAL:
        return ExternalSidecar(config, log)
    return ManagedSidecar(config, log)


# -- helpers ---------------------------------------------------------------------------------------------


def _write_private(path: Path, content: str) -> None:
    """(Re)create `path` with mode 0600 before any byte is written; the sidecar refuses looser files."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)


def _read_ready_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("http_url") else None


def _json_or_none(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except ValueError:
        return None


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "no exit status"
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def _log_sidecar_line(log: logging.Logger, pid: int, line: str) -> None:
    """kamld logs slog text (level=INFO ...): keep its level in Jupyter's log."""
    if "level=ERROR" in line:
        level = logging.ERROR
    elif "level=WARN" in line:
        level = logging.WARNING
    elif "level=DEBUG" in line:
        level = logging.DEBUG
    else:
        level = logging.INFO
    log.log(level, "kamld[%d] %s", pid, line)


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, have the kernel SIGTERM the sidecar if Jupyter dies without cleaning up (kill -9)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    # prctl is variadic: pass every argument as a full unsigned long, or the kernel may read garbage
    # in the upper half of a register and refuse the call.
    pr_set_pdeathsig = ctypes.c_int(1)
    args = (pr_set_pdeathsig, ctypes.c_ulong(int(signal.SIGTERM))) + (ctypes.c_ulong(0),) * 3

    def set_pdeathsig() -> None:
        # Runs in the child between fork and exec: only a pre-resolved C call, nothing that allocates.
        prctl(*args)

    return set_pdeathsig


_DIE_WITH_PARENT = _parent_death_signal()

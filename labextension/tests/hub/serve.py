"""The servers of the two-user browser test (Playwright project `hub`, `make test-hub-e2e`): the test
JupyterHub of tests/hub, one shared kamld (auth.mode shared, Hub tokens, platform admins the Hub group
"admins") and the JupyterLab servers of alice, bob and erin, in external mode against that kamld with their
own Hub token.

Run from labextension/ as `python -m tests.hub.serve --port P --ready-port R --password W --workdir D`; once
every server is up, `http://127.0.0.1:R/ready` answers 200 (Playwright waits for it). SIGTERM stops them all.
The users sign in through the Hub's login page in the browser; their servers are started here beforehand, at
once, because three JupyterLab start-ups one after the other would take most of the test's time.

Fixture data written here as alice, through the API: `team-notes`, visible to every signed-in user (internal),
so that a list, a search or the drive that hides alice's private dataset from bob is seen to show the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn

import requests

from ..conftest import ExternalSidecar, serve_kamld
from . import Hub, start_hub

USERS = ("alice", "bob", "erin")
FIXTURE = "team-notes"
FIXTURE_TAG = "hub-e2e"
SCOPE = "custom:kamld:use"


def _kamld_env() -> dict[str, str]:
    return {
        "KAMLD_AUTH_MODE": "shared",
        "KAMLD_AUTH_HUB_SCOPE": SCOPE,
        "KAMLD_AUTH_ADMIN_GROUPS": "admins",
        "KAMLD_IMPORT_SAMPLES": "false",
        # Shared mode refuses local jobs without a separate uid; this test runs none, so it names its own.
        "KAMLD_COMPUTE_LOCAL_RUN_AS": f"{os.getuid()}:{os.getgid()}",
    }


def _quiet_lab_settings(home: Path) -> None:
    """No news or update prompts in the users' JupyterLab (they would cover the page in screenshots)."""
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}), encoding="utf-8"
    )


def _create_fixture(hub: Hub, kamld: ExternalSidecar) -> None:
    headers = {"Authorization": f"Bearer {hub.token_for('alice')}"}
    resp = requests.post(
        f"{kamld.url}/v1/datasets",
        params={"datasetId": FIXTURE},
        json={"description": "Notes every signed-in user may read", "tags": [FIXTURE_TAG]},
        headers=headers,
        timeout=30,
    )
    resp.raise_for_status()
    resp = requests.put(
        f"{kamld.url}/v1/datasets/{FIXTURE}/access",
        json={"visibility": "internal", "grants": []},
        headers=headers,
        timeout=30,
    )
    resp.raise_for_status()


@contextmanager
def _ready_endpoint(port: int) -> Iterator[None]:
    class Ready(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/ready" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _stop(_signum: int, _frame: object) -> NoReturn:
    # SystemExit unwinds the context managers below: users' servers, kamld, the Hub and its proxy stop.
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="the Hub's public port")
    parser.add_argument("--ready-port", type=int, required=True)
    parser.add_argument("--password", required=True, help="every user's password at the Hub's login page")
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    binary = Path(os.environ.get("KAMLD_BINARY") or Path(__file__).resolve().parents[3] / "bin" / "kamld")
    with start_hub(args.workdir / "hub", port=args.port, password=args.password) as hub:
        env = {**_kamld_env(), "KAMLD_AUTH_HUB_API_URL": hub.api_url}
        with serve_kamld(binary, args.workdir / "kamld", env) as kamld:
            hub.serve_kamld_at(kamld.url)
            _create_fixture(hub, kamld)
            for user in USERS:
                _quiet_lab_settings(hub.workdir / "home" / user)
            # The Hub stops the users' servers when it stops (JupyterHub.cleanup_servers).
            with ThreadPoolExecutor(len(USERS)) as pool:
                list(pool.map(hub.start_server, USERS))
            with _ready_endpoint(args.ready_port):
                print(f"hub e2e: Hub {hub.url}, kamld {kamld.url}", flush=True)
                signal.pause()


if __name__ == "__main__":
    main()

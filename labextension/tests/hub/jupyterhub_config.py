"""The test JupyterHub: loopback only, DummyAuthenticator, three users and the kamld custom scope.

Started by tests/hub/__init__.py (`start_hub`), which passes everything variable through KAMLD_TEST_HUB_*
environment variables. alice, bob and erin are in group "lab" and hold the role "kamld" (the custom scope
custom:kamld:use); carol holds no kamld role; erin is also in "admins" (kamld's platform admins). The
service "test-admin" (its token in the environment) creates and deletes users and tokens for the tests.
"""

import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - JupyterHub's config loader defines it

env = os.environ
data = env["KAMLD_TEST_HUB_DIR"]

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['KAMLD_TEST_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["KAMLD_TEST_HUB_API_PORT"])
c.JupyterHub.db_url = f"sqlite:///{data}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{data}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{data}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [env["KAMLD_TEST_HUB_CHP"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['KAMLD_TEST_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = f"{data}/jupyterhub-proxy.pid"
c.ConfigurableHTTPProxy.should_start = True

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = env["KAMLD_TEST_HUB_PASSWORD"]
c.Authenticator.allowed_users = {"alice", "bob", "carol", "erin"}

c.JupyterHub.load_groups = {"lab": {"users": ["alice", "bob", "erin"]}, "admins": {"users": ["erin"]}}
c.JupyterHub.custom_scopes = {
    "custom:kamld:use": {"description": "Use the shared kamld (datasets, search, SQL, jobs) as yourself."},
}
c.JupyterHub.load_roles = [
    {
        "name": "kamld",
        "description": "May use the shared kamld",
        "scopes": ["custom:kamld:use!user"],
        "groups": ["lab"],
    },
    {
        "name": "test-admin",
        "scopes": ["admin:users", "admin:groups", "tokens", "admin:servers"],
        "services": ["test-admin"],
    },
]
c.JupyterHub.services = [{"name": "test-admin", "api_token": env["KAMLD_TEST_HUB_ADMIN_TOKEN"]}]
# The single-user server's own token ($JUPYTERHUB_API_TOKEN), which the kamld extension forwards in "hub"
# auth, carries the custom scope when its user holds it.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", "custom:kamld:use!user"]

# Single-user servers: JupyterLab with the kamld extension, as local processes of this user (no system
# accounts needed), in external mode against the shared kamld whose URL the test writes to a file once it
# runs, with the user's own Hub token as credential (Kamld.auth "hub").
_bin = os.path.dirname(env["KAMLD_TEST_HUB_PYTHON"])
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [os.path.join(_bin, "jupyterhub-singleuser")]
# No update check (no traffic off loopback); the app on `window.jupyterapp`, so a browser test can run a
# command the palette keeps disabled (the audit view opened by a non-admin).
c.Spawner.args = [
    *(["--allow-root"] if os.getuid() == 0 else []),
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.expose_app_in_browser=True",
]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.SimpleLocalProcessSpawner.home_dir_template = f"{data}/home/{{username}}"


def _kamld_url(spawner: object) -> str:
    with open(f"{data}/kamld-url", encoding="utf-8") as f:
        return f.read().strip()


c.Spawner.environment = {"KAMLD_MODE": "external", "KAMLD_AUTH": "hub", "KAMLD_URL": _kamld_url}

"""The test JupyterHub: loopback only, DummyAuthenticator, three users and the kamld custom scope.

Started by tests/hub/__init__.py (`start_hub`), which passes everything variable through KAMLD_TEST_HUB_*
environment variables. alice and bob are in group "lab" and hold the role "kamld" (the custom scope
custom:kamld:use); carol holds no kamld role; alice is also in "admins". The service "test-admin" (its token
in the environment) creates and deletes users and tokens for the tests.
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
c.Authenticator.allowed_users = {"alice", "bob", "carol"}

c.JupyterHub.load_groups = {"lab": {"users": ["alice", "bob"]}, "admins": {"users": ["alice"]}}
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

"""Who the panel acts as, and how that person is shown.

Jupyter Server's own identity providers (token or password login) know no people: each browser gets a
random 32-hex-digit user name ("Anonymous Io"), while kernels run as the OS user. Whoever holds the
token of such a server is the person who started it, so the panel acts as that OS user (or the
JupyterHub user), exactly like `kamld.Client()` in a kernel: one identity, not two. A real identity
provider (JupyterHub's, or a deployment's own) names the person, and its name is used as is.
"""

from __future__ import annotations

import getpass
import pwd
from typing import Any

from ..identity import default_user


def knows_people(identity_provider: Any) -> bool:
    """False for Jupyter Server's built-in providers, whose users are anonymous browser sessions."""
    return not type(identity_provider).__module__.startswith("jupyter_server.")


def acting_account(user: Any, identity_provider: Any) -> str:
    """The account the sidecar records as the caller of a request by `user`."""
    if not knows_people(identity_provider):
        return default_user()
    return str(getattr(user, "username", None) or getattr(user, "name", None) or user)


def display_name(user: Any, identity_provider: Any) -> str:
    """How the panel shows the acting person: Jupyter's display name, or the OS user's full name."""
    account = acting_account(user, identity_provider)
    if knows_people(identity_provider):
        return str(getattr(user, "display_name", None) or getattr(user, "name", None) or account)
    if account == getpass.getuser():
        try:
            full = pwd.getpwnam(account).pw_gecos.split(",")[0].strip()
        except KeyError:
            full = ""
        return full or account
    return account

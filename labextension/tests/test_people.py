"""One identity: the panel acts as the person a kernel acts as, and shows them by display name."""

from __future__ import annotations

import getpass
import json

import pytest
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User

from kamld.server.people import acting_account, display_name, knows_people

from .conftest import JUPYTER_USER, Fetch, wait_running


class HubLikeProvider(IdentityProvider):
    """A provider from outside jupyter_server (as JupyterHub's is): it names real people."""


ANONYMOUS = User(username="77e468fef766499bb87c826585afb3c5", name="Anonymous Io")


@pytest.mark.parametrize("provider", [IdentityProvider(), PasswordIdentityProvider()])
def test_anonymous_browser_sessions_act_as_the_kernel_user(
    provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert not knows_people(provider)
    assert acting_account(ANONYMOUS, provider) == getpass.getuser()
    assert display_name(ANONYMOUS, provider)  # the OS user's full name, or the account


def test_a_hub_user_is_the_same_in_panel_and_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    assert acting_account(ANONYMOUS, IdentityProvider()) == "ada"


def test_a_real_provider_names_the_person() -> None:
    provider = HubLikeProvider()
    user = User(username="ada", name="ada", display_name="Ada Lovelace")
    assert knows_people(provider)
    assert acting_account(user, provider) == "ada"
    assert display_name(user, provider) == "Ada Lovelace"


async def test_whoami_answers_account_and_display_name(jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    response = await jp_fetch("kamld", "whoami")
    assert json.loads(response.body) == {"account": JUPYTER_USER, "displayName": "Alice"}

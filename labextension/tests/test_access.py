"""Sharing from Python: kamld.access, kamld.share, kamld.set_visibility against a real sidecar.

The sidecar runs in single-user mode, where the token holder is a platform admin; the rules themselves (who
may read, write, share) are tested over gRPC and REST by the Go access suite
(sidecar/internal/server/access_api_test.go).
"""

from __future__ import annotations

import pytest

import kamld
from kamld.connection import find_connection
from kamld.errors import INVALID_ARGUMENT, NOT_FOUND

from .conftest import ExternalSidecar
from .test_datasets_client import sidecar  # noqa: F401 (the kernel's view of a fresh sidecar)


def test_share_and_visibility(sidecar: ExternalSidecar) -> None:  # noqa: F811 (the fixture imported above)
    kamld.create("churn", visibility="private")
    acc = kamld.access("churn")
    assert acc["visibility"] == "private"
    assert acc["yourRole"] == "admin"
    assert acc.get("grants", []) == []

    kamld.share("churn", user="bob", role="reader")
    acc = kamld.share("churn", group="ml-team", role="writer")
    assert sorted((g["kind"], g["name"], g["role"]) for g in acc["grants"]) == [
        ("group", "ml-team", "writer"),
        ("user", "bob", "reader"),
    ]
    acc = kamld.share("churn", user="bob", role="writer")  # changes bob's grant, keeps the group's
    assert sorted((g["name"], g["role"]) for g in acc["grants"]) == [("bob", "writer"), ("ml-team", "writer")]
    acc = kamld.share("churn", user="bob", role="none")
    assert [g["name"] for g in acc["grants"]] == ["ml-team"]
    assert kamld.set_visibility("churn", "internal")["visibility"] == "internal"

    client = kamld.get_client()
    assert [d["name"] for d in client.list_datasets(access="mine")] == [
        "datasets/churn"
    ]  # the caller owns it
    with pytest.raises(kamld.KamldError) as bad:
        client.set_access(
            "churn", visibility="world", grants=[{"kind": "team", "name": "x", "role": "reader"}]
        )
    assert bad.value.code == INVALID_ARGUMENT
    with pytest.raises(kamld.KamldError) as missing:
        kamld.access("nope")
    assert missing.value.code == NOT_FOUND


def test_share_refuses_bad_arguments(sidecar: ExternalSidecar) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="exactly one"):
        kamld.share("churn", role="reader")
    with pytest.raises(ValueError, match="role"):
        kamld.share("churn", user="bob", role="owner")
    with pytest.raises(ValueError, match="visibility"):
        kamld.set_visibility("churn", "world")
    with pytest.raises(ValueError, match="bare dataset name"):
        kamld.access("churn@v1")


def test_a_job_finds_the_sidecar_with_its_own_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAMLD_TOKEN", "KAMLD_TOKEN_FILE", "KAMLD_CONNECTION_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAMLD_URL", "http://127.0.0.1:7080/")
    monkeypatch.setenv("KAMLD_JOB_TOKEN", "kjt.job-1.mac")
    info = find_connection()
    assert (info.url, info.token) == ("http://127.0.0.1:7080", "kjt.job-1.mac")
    assert "KAMLD_JOB_TOKEN" in info.source
    client = kamld.Client()
    assert "X-Kamld-User" not in client._session.headers  # a job acts as its owner, named by its token

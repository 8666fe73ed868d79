"""The part every handle on a server-side resource shares (a job, a pipeline run): its name, id, state and
the raw message, refreshed by the subclass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .client import Client


class ResourceHandle:
    """A handle on one API resource named `<collection>/<id>`; `data` is its message as the API returned it
    (a copy)."""

    collection: ClassVar[str]
    unspecified_state: ClassVar[str]

    def __init__(self, data: Mapping[str, Any], client: Client) -> None:
        self._data = dict(data)
        self._client = client

    @property
    def name(self) -> str:
        return str(self._data.get("name", ""))

    @property
    def id(self) -> str:
        return self.name.removeprefix(self.collection + "/")

    @property
    def state(self) -> str:
        return str(self._data.get("state", self.unspecified_state))

    @property
    def data(self) -> dict[str, Any]:
        """The resource as the API returns it (a copy)."""
        return dict(self._data)

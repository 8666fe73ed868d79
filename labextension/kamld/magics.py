"""IPython magics: `%load_ext kamld`, then `%kamld status`.

They use the same `kamld.Client` (and so the same connection lookup) as notebook code.
"""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class

from ._version import __version__
from .client import BackendInfo, Client, SystemInfo
from .errors import KamldError

USAGE = """\
Usage: %kamld <subcommand>

Subcommands:
  status    the sidecar's version, overall health and one line per backend
  help      this text
"""


def _short_health(health: str) -> str:
    """HEALTH_SERVING -> SERVING: the prefix is noise in a status table."""
    return health.removeprefix("HEALTH_") if health else "UNKNOWN"


def _backend_line(backend: BackendInfo) -> str:
    where = backend.get("location") or backend.get("message") or ""
    return (
        f"  {backend.get('capability', '?'):<9} {backend.get('backend', '?'):<10} "
        f"{_short_health(backend.get('health', '')):<14} {where}".rstrip()
    )


def format_status(info: SystemInfo, url: str) -> str:
    """The text `%kamld status` prints; a pure function so that it is easy to test."""
    lines = [
        f"kamld {info.get('version', '?')} at {url}: {_short_health(info.get('health', ''))}",
        f"  identity {info.get('identity', '?')}, api {info.get('apiVersion', '?')}, "
        f"python client {__version__}",
    ]
    if info.get("version") and info.get("version") != __version__:
        lines.append(
            f"  warning: the sidecar is {info.get('version')} but this client is {__version__}; "
            "upgrade one of them"
        )
    lines.append("backends:")
    lines.extend(_backend_line(b) for b in info.get("backends", []))
    return "\n".join(lines)


@magics_class
class KamldMagics(Magics):
    """The `%kamld` line magic."""

    @line_magic
    def kamld(self, line: str) -> None:
        """%kamld status | help"""
        args = line.split()
        command = args[0] if args else "help"
        if command == "status":
            self._status()
        elif command in ("help", "-h", "--help"):
            print(USAGE, end="")
        else:
            print(f"%kamld: unknown subcommand {command!r}\n\n{USAGE}", end="")

    def _status(self) -> None:
        # A magic prints a readable one-line error instead of a traceback: the user asked for a status.
        try:
            with Client() as client:
                print(format_status(client.info(), client.url))
        except KamldError as exc:
            print(f"kamld: {exc}")

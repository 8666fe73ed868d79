"""The one exception type kamld's Python side raises: a google.rpc.Status, as the sidecar sends it."""

from __future__ import annotations

from typing import Any

# gRPC status codes by number (google.rpc.Code); the sidecar's REST errors carry these numbers.
GRPC_CODE_NAMES: dict[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}

UNKNOWN = 2
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
FAILED_PRECONDITION = 9
ABORTED = 10
UNAVAILABLE = 14
UNAUTHENTICATED = 16

# Used only when a response is not google.rpc.Status JSON (a proxy in between, a crash page):
# the reverse of the mapping grpc-gateway applies.
_HTTP_TO_GRPC: dict[int, int] = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    405: 12,
    409: 6,
    412: 9,
    413: 8,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    503: 14,
    504: 4,
}


def grpc_code_from_http(status: int) -> int:
    """Best-effort gRPC code for an HTTP status whose body did not say."""
    return _HTTP_TO_GRPC.get(status, UNKNOWN)


class KamldError(Exception):
    """An error from kamld, or from reaching it, shaped like google.rpc.Status.

    `code` is the gRPC status code number (16 = UNAUTHENTICATED, 14 = UNAVAILABLE, ...),
    `message` the human explanation and `details` the google.rpc error details (ErrorInfo,
    BadRequest, ...) as JSON objects. `http_status` is set when the error came over HTTP.
    """

    def __init__(
        self,
        code: int,
        message: str,
        details: list[dict[str, Any]] | None = None,
        *,
        http_status: int | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details: list[dict[str, Any]] = list(details or [])
        self.http_status = http_status

    @property
    def code_name(self) -> str:
        return GRPC_CODE_NAMES.get(self.code, f"CODE_{self.code}")

    @property
    def reason(self) -> str | None:
        """The `reason` of the first google.rpc.ErrorInfo detail, e.g. "TOKEN_INVALID"."""
        for detail in self.details:
            if str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
                reason = detail.get("reason")
                return str(reason) if reason is not None else None
        return None

    @property
    def field_violations(self) -> list[tuple[str, str]]:
        """(field, description) of every google.rpc.BadRequest violation: which request field was wrong."""
        out: list[tuple[str, str]] = []
        for detail in self.details:
            if str(detail.get("@type", "")).endswith("google.rpc.BadRequest"):
                for v in detail.get("fieldViolations") or []:
                    if isinstance(v, dict):
                        out.append((str(v.get("field", "")), str(v.get("description", ""))))
        return out

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        """The conflicts of a failed merge (kamld.v1.MergeConflicts): every path changed differently on both
        sides, with `ours` and `theirs` (each a FileInfo, absent when the file is missing there)."""
        for detail in self.details:
            if str(detail.get("@type", "")).endswith("kamld.v1.MergeConflicts"):
                return [c for c in detail.get("conflicts") or [] if isinstance(c, dict)]
        return []

    def __str__(self) -> str:
        text = f"{self.code_name} ({self.code}): {self.message}"
        fields = [f for f, _ in self.field_violations if f and f not in self.message]
        if fields:
            text += f" [field: {', '.join(fields)}]"
        return text

    def __repr__(self) -> str:
        return f"KamldError(code={self.code}, message={self.message!r}, details={self.details!r})"

    @classmethod
    def from_status_json(cls, body: Any, *, http_status: int | None = None) -> KamldError | None:
        """Parse a google.rpc.Status JSON object; None when `body` is not one."""
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            return None
        details = body.get("details")
        return cls(
            int(body["code"]),
            str(body.get("message", "")),
            [d for d in details if isinstance(d, dict)] if isinstance(details, list) else [],
            http_status=http_status,
        )

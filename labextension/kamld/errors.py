"""kamld's exceptions: `KamldError` (a google.rpc.Status, as the sidecar sends it) and one subclass per
status code (`kamld.NotFound`, `kamld.PermissionDenied`, `kamld.InvalidArgument`, ...), each also the
built-in exception that fits (`LookupError`, `PermissionError`, `ValueError`, `TimeoutError`,
`ConnectionError`), so `except kamld.NotFound` and `except LookupError` both work. `error_for` picks the
class; every error kamld raises is made by it."""

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
        return f"{type(self).__name__}(code={self.code}, message={self.message!r}, details={self.details!r})"

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of the traceback: one line naming the error, no client internals."""
        return [f"{type(self).__name__}: {self}"]

    @classmethod
    def from_status_json(cls, body: Any, *, http_status: int | None = None) -> KamldError | None:
        """Parse a google.rpc.Status JSON object into the error's class; None when `body` is not one."""
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            return None
        details = body.get("details")
        return error_for(
            int(body["code"]),
            str(body.get("message", "")),
            [d for d in details if isinstance(d, dict)] if isinstance(details, list) else [],
            http_status=http_status,
        )


class _OSErrorMixin(KamldError):
    """For the classes that are also an OSError: errno is not a gRPC code, so it is None."""

    def __init__(self, code: int, message: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(code, message, *args, **kwargs)
        # OSError took (code, message) as (errno, strerror); a gRPC code is no errno.
        setattr(self, "errno", None)  # noqa: B010 -- mypy types OSError.errno as int
        setattr(self, "strerror", message)  # noqa: B010


class Cancelled(KamldError):
    """CANCELLED (1): the call was cancelled, usually by the caller."""


class Unknown(KamldError):
    """UNKNOWN (2)."""


class InvalidArgument(KamldError, ValueError):
    """INVALID_ARGUMENT (3): a request field was wrong; `field_violations` says which and why."""


class DeadlineExceeded(_OSErrorMixin, TimeoutError):
    """DEADLINE_EXCEEDED (4): no answer in time."""


class NotFound(KamldError, LookupError):
    """NOT_FOUND (5): a dataset, ref, file, job or route that does not exist."""


class DatasetNotFound(NotFound):
    """NOT_FOUND with reason DATASET_NOT_FOUND: SQL named a dataset that does not exist."""


class AlreadyExists(KamldError):
    """ALREADY_EXISTS (6): e.g. a dataset or tag of that name."""


class PermissionDenied(_OSErrorMixin, PermissionError):
    """PERMISSION_DENIED (7): the acting user may not do this."""


class ResourceExhausted(KamldError):
    """RESOURCE_EXHAUSTED (8): a limit was hit (request or result too large, quota)."""


class FailedPrecondition(KamldError):
    """FAILED_PRECONDITION (9): the system is not in a state that allows this (e.g. an empty draft)."""


class MergeConflict(FailedPrecondition):
    """FAILED_PRECONDITION with reason MERGE_CONFLICT; `conflicts` lists the paths."""


class Aborted(KamldError):
    """ABORTED (10): lost a race with a concurrent change; retrying may succeed."""


class OutOfRange(KamldError):
    """OUT_OF_RANGE (11): e.g. a byte range past the end of a file."""


class Unimplemented(KamldError, NotImplementedError):
    """UNIMPLEMENTED (12): this sidecar does not offer it (e.g. presigned URLs on a local store)."""


class Internal(KamldError):
    """INTERNAL (13): a fault inside kamld; its request id is in the sidecar's logs."""


class Unavailable(_OSErrorMixin, ConnectionError):
    """UNAVAILABLE (14): the sidecar or one of its backends cannot be reached; retrying later may succeed."""


class DataLoss(KamldError):
    """DATA_LOSS (15): stored data is damaged."""


class Unauthenticated(_OSErrorMixin, PermissionError):
    """UNAUTHENTICATED (16): no valid token."""


_BY_CODE: dict[int, type[KamldError]] = {
    1: Cancelled,
    2: Unknown,
    3: InvalidArgument,
    4: DeadlineExceeded,
    5: NotFound,
    6: AlreadyExists,
    7: PermissionDenied,
    8: ResourceExhausted,
    9: FailedPrecondition,
    10: Aborted,
    11: OutOfRange,
    12: Unimplemented,
    13: Internal,
    14: Unavailable,
    15: DataLoss,
    16: Unauthenticated,
}

# Reasons with a class of their own, a subclass of their code's class.
_BY_REASON: dict[str, type[KamldError]] = {
    "DATASET_NOT_FOUND": DatasetNotFound,
    "MERGE_CONFLICT": MergeConflict,
}


def error_class(code: int, reason: str | None = None) -> type[KamldError]:
    """The class of an error with this gRPC code and ErrorInfo reason."""
    by_reason = _BY_REASON.get(reason or "")
    if by_reason is not None and issubclass(by_reason, _BY_CODE.get(code, KamldError)):
        return by_reason
    return _BY_CODE.get(code, KamldError)


def error_for(
    code: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
    *,
    http_status: int | None = None,
) -> KamldError:
    """The typed error for a status: the class of its code (and reason), e.g. NotFound for 5."""
    reason = None
    for detail in details or []:
        if str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            reason = str(detail.get("reason") or "")
            break
    return error_class(code, reason)(code, message, details, http_status=http_status)


class _LocalInvalidArgument(InvalidArgument):
    """An InvalidArgument the client found itself: it reads as its message alone, like a ValueError."""

    def __str__(self) -> str:
        return self.message


def invalid_argument(message: str) -> InvalidArgument:
    """A bad argument found by the client itself, before any request: kamld.InvalidArgument (a ValueError)."""
    return _LocalInvalidArgument(INVALID_ARGUMENT, message)

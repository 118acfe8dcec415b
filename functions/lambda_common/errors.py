"""Request errors, and the one place where any exception becomes an error response.

Code anywhere in a function raises a RequestError subclass for something the caller can fix;
`error_response` turns it (or any unexpected exception) into a status code, a JSON body and
headers. Each handler only wraps that for its transport (direct invoke, Function URL, REST).
"""

from __future__ import annotations

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class RequestError(Exception):
    """A problem with the request; the message says what is wrong and how to fix it."""

    status_code = 400
    error_type = "ValidationError"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class ValidationError(RequestError):
    status_code = 400
    error_type = "ValidationError"


class PayloadTooLargeError(RequestError):
    status_code = 413
    error_type = "PayloadTooLarge"


class NotFoundError(RequestError):
    status_code = 404
    error_type = "NotFound"


class ErrorResponse:
    # A plain class, not a dataclass: `dataclasses` imports `inspect`, ~5 ms of cold start.
    __slots__ = ("status_code", "body", "headers")

    def __init__(self, *, status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = headers or {}

    @property
    def is_internal(self) -> bool:
        return self.status_code >= 500


def error_response(error: BaseException, *, request_id: str | None) -> ErrorResponse:
    """The response for an exception. Only RequestError messages reach the caller; anything
    else is a fault of ours, answered with a generic 500 carrying the request id, so the
    logged traceback can be found (and never sent)."""
    if isinstance(error, RequestError):
        return ErrorResponse(
            status_code=error.status_code,
            body={"error": error.message, "error_type": error.error_type},
            headers=dict(error.headers),
        )
    return ErrorResponse(
        status_code=500,
        body={"error": "internal error", "error_type": "InternalError", "request_id": request_id},
    )


class ModelError(RuntimeError):
    """The model is unusable: a missing or malformed artifact, a checksum mismatch, or a graph
    the function cannot read. Raised at cold start, it stops it: Lambda reports an init error
    with the message (like ConfigError, lambda_common.env)."""

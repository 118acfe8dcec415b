"""Errors, and the one place where any exception becomes an error response.

Code anywhere in the package raises a RequestError subclass for something the caller can fix;
`error_response` turns it (or any unexpected exception) into a status code and a body. The
handler's Powertools exception handler (and its fallback for events the resolver cannot read)
only wraps that for the transport. ConfigError and ModelError stop the cold start (Lambda
reports an init error with the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """The environment does not configure the function correctly; the message lists every problem."""


class ModelError(RuntimeError):
    """The model is unusable: missing, not ONNX, or not a YOLO detection graph this function reads."""


class RequestError(Exception):
    """A problem with the request; the message says what is wrong and how to fix it."""

    status_code = 400
    error_type = "ValidationError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(RequestError):
    status_code = 400
    error_type = "ValidationError"


class NotFoundError(RequestError):
    status_code = 404
    error_type = "NotFound"


@dataclass(frozen=True, kw_only=True)
class ErrorResponse:
    status_code: int
    body: dict[str, Any]

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
        )
    return ErrorResponse(
        status_code=500,
        body={"error": "internal error", "error_type": "InternalError", "request_id": request_id},
    )

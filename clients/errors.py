"""Errors every function client raises, so callers can catch one family for all workloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class FunctionClientError(Exception):
    """Base class of every error raised by the clients in this package."""


class FunctionNotFoundError(FunctionClientError):
    """Lambda has no such function (or no such version/alias) in the region the client targets."""

    def __init__(self, *, function_name: str, qualifier: str | None, region_name: str) -> None:
        self.function_name = function_name
        self.qualifier = qualifier
        self.region_name = region_name
        target = f"{function_name}:{qualifier}" if qualifier else function_name
        super().__init__(
            f"Lambda function {target!r} was not found in region {region_name!r}. "
            "Check the function name (the stack output), the qualifier, the region "
            "and the AWS account your credentials belong to."
        )


class FunctionRequestError(FunctionClientError):
    """The function rejected the request (its 4xx answer); the message says what to fix."""

    def __init__(self, *, message: str, status_code: int, error_type: str) -> None:
        self.message = message
        self.status_code = status_code
        self.error_type = error_type
        super().__init__(f"{error_type} ({status_code}): {message}")

    @classmethod
    def from_answer(cls, body: Mapping[str, Any], status_code: int, **details: Any) -> Self:
        """The error a function's 4xx answer stands for: its ``error`` and ``error_type``."""
        return cls(
            message=str(body.get("error", "request rejected")),
            status_code=status_code,
            error_type=str(body.get("error_type", "ValidationError")),
            **details,
        )


class FunctionFailedError(FunctionClientError):
    """The function failed: an unhandled exception, a 5xx answer, or a malformed response."""

    def __init__(self, *, message: str, error_type: str) -> None:
        self.message = message
        self.error_type = error_type
        super().__init__(f"{error_type}: {message}")

    @classmethod
    def from_answer(cls, body: Mapping[str, Any], default_message: str) -> Self:
        """The error a function's 5xx (or otherwise failed) answer stands for."""
        return cls(
            message=str(body.get("error", default_message)),
            error_type=str(body.get("error_type", "InternalError")),
        )


class EndpointUnreachableError(FunctionClientError):
    """No HTTP answer at all: DNS, refused or reset connections, TLS failures, timeouts (after the retries)."""

    def __init__(self, *, url: str, reason: str, attempts: int) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        super().__init__(
            f"cannot reach {url} ({reason}) after {attempts} attempt(s): check the URL (the stack's ApiEndpoint"
            " output), the network and any proxy settings"
        )


class UploadError(FunctionClientError):
    """S3 refused the PUT of a file to its presigned upload URL (S3's own code and message)."""

    def __init__(self, *, status_code: int, code: str, message: str) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        super().__init__(f"the upload to S3 failed ({status_code} {code}): {message}")

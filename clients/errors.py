"""Errors every function client raises, so callers can catch one family for all workloads."""

from __future__ import annotations


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


class FunctionFailedError(FunctionClientError):
    """The function failed: an unhandled exception, a 5xx answer, or a malformed response."""

    def __init__(self, *, message: str, error_type: str) -> None:
        self.message = message
        self.error_type = error_type
        super().__init__(f"{error_type}: {message}")

"""Synchronous JSON invocation of one Lambda function: client construction, limits, error mapping.

Shared by the workload clients so that every one of them retries, times out and reports a
missing function the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from clients.errors import (
    FunctionClientError,
    FunctionFailedError,
    FunctionNotFoundError,
    FunctionRequestError,
)

# Lambda's synchronous (RequestResponse) payload quotas. A larger request is refused with
# RequestTooLargeException (413); a larger response comes back as a function error of type
# Function.ResponseSizeTooLarge.
SYNC_REQUEST_LIMIT_BYTES = 6_291_456
SYNC_RESPONSE_LIMIT_BYTES = 6_291_556

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
# Must outlast the function's own timeout: a read timeout makes botocore retry, which runs
# the (still running) invocation a second time.
DEFAULT_READ_TIMEOUT_SECONDS = 65.0


def create_lambda_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS,
) -> Any:
    """A boto3 Lambda client whose retries cover throttling (429) and transient faults.

    botocore's "standard" retry mode retries TooManyRequestsException, 5xx answers and
    connection errors with exponential backoff and jitter. ``max_attempts`` counts the first
    try too (botocore's ``total_max_attempts``; its ``max_attempts`` key would count retries only).
    """
    config = Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout_seconds,
        read_timeout=read_timeout_seconds,
    )
    return (session or boto3.Session()).client(
        "lambda", region_name=region_name, endpoint_url=endpoint_url, config=config
    )


def encode_json(value: Any) -> bytes:
    """The exact bytes sent as an Invoke payload (compact, UTF-8), so sizes can be budgeted."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class InvokeResponse:
    payload: Any  # the function's JSON answer, decoded
    # "Unhandled" when the function raised; payload then holds errorMessage and errorType.
    function_error: str | None
    executed_version: str | None

    def raise_if_unhandled(self, error: type[FunctionFailedError] = FunctionFailedError) -> None:
        """Raises ``error`` when the function raised, or the runtime could not answer: Lambda's
        errorMessage and errorType, as the payload carries them."""
        if self.function_error:
            details = self.payload if isinstance(self.payload, dict) else {}
            raise error(
                message=str(details.get("errorMessage", "the function failed without a message")),
                error_type=str(details.get("errorType", self.function_error)),
            )


class LambdaFunction:
    """One function (name + optional version/alias) invoked synchronously with JSON payloads."""

    def __init__(self, *, function_name: str, qualifier: str | None, lambda_client: Any) -> None:
        self.function_name = function_name
        self.qualifier = qualifier
        self.lambda_client = lambda_client

    @property
    def region_name(self) -> str:
        return str(self.lambda_client.meta.region_name)

    def invoke(self, payload: bytes) -> InvokeResponse:
        """Invoke with RequestResponse; Lambda-level errors become this package's errors.

        Errors the caller cannot fix here (access denied, expired credentials...) propagate
        as botocore's ClientError unchanged.
        """
        arguments: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": "RequestResponse",
            "Payload": payload,
        }
        if self.qualifier:
            arguments["Qualifier"] = self.qualifier
        try:
            response = self.lambda_client.invoke(**arguments)
        except ClientError as error:
            mapped = self._mapped_client_error(error)
            if mapped is None:
                raise
            raise mapped from error
        raw_payload = response["Payload"].read()
        try:
            decoded = json.loads(raw_payload) if raw_payload else None
        except ValueError as error:
            raise FunctionFailedError(
                message=f"the function answered with invalid JSON ({len(raw_payload)} bytes)",
                error_type="InvalidResponse",
            ) from error
        return InvokeResponse(
            payload=decoded,
            function_error=response.get("FunctionError"),
            executed_version=response.get("ExecutedVersion"),
        )

    def _mapped_client_error(self, error: ClientError) -> FunctionClientError | None:
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code == "ResourceNotFoundException":
            return FunctionNotFoundError(
                function_name=self.function_name,
                qualifier=self.qualifier,
                region_name=self.region_name,
            )
        if code == "RequestTooLargeException":
            return FunctionRequestError(message=message, status_code=413, error_type=code)
        return None

"""Lambda's Invoke API on the wire, as far as an unmodified boto3 Lambda client can tell.

``POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...]``: how the function
and qualifier are named, the payload quotas, the error answers (status code, the error code in
``x-amzn-ErrorType`` and a ``Message``), and the function error document the Python runtime
writes when a handler fails (``X-Amz-Function-Error: Unhandled``). Shared by `make serve`'s
Invoke API and the in-process server the client tests use.
"""

from __future__ import annotations

import base64
import json
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

REQUEST_LIMIT_BYTES = 6_291_456  # Lambda's synchronous request quota
RESPONSE_LIMIT_BYTES = 6_291_556  # and its synchronous response quota
ASYNC_REQUEST_LIMIT_BYTES = 1_048_576  # an Event invocation's payload (1 MB since 2025)
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LATEST = "$LATEST"
REQUEST_RESPONSE = "RequestResponse"
EVENT = "Event"
DRY_RUN = "DryRun"
INVOCATION_TYPES = (REQUEST_RESPONSE, EVENT, DRY_RUN)
LOG_TYPES = ("None", "Tail")  # X-Amz-Log-Type
LOG_TAIL_BYTES = 4096  # LogType Tail: the last 4 KB of the invocation's log
UNHANDLED = "Unhandled"  # the X-Amz-Function-Error value for any failed invocation
_INVOKE_PATH_PREFIX = "/2015-03-31/functions/"
_INVOKE_PATH_SUFFIX = "/invocations"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body and headers (Content-Length is added when sent)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class InvokeTarget:
    function_name: str
    qualifier: str | None


def parse_invoke_path(path: str) -> InvokeTarget | None:
    """The function and qualifier named by an Invoke request's path; None for another path."""
    url = urlsplit(path)
    if not (url.path.startswith(_INVOKE_PATH_PREFIX) and url.path.endswith(_INVOKE_PATH_SUFFIX)):
        return None
    function_ref = unquote(url.path[len(_INVOKE_PATH_PREFIX) : -len(_INVOKE_PATH_SUFFIX)])
    function_name, qualifier = split_function_ref(function_ref)
    qualifier = parse_qs(url.query).get("Qualifier", [qualifier])[0]
    return InvokeTarget(function_name=function_name, qualifier=qualifier or None)


def split_function_ref(function_ref: str) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, or a full or partial function ARN."""
    parts = function_ref.split(":")
    if "function" in parts:  # arn:aws:lambda:region:account:function:name[:qualifier] or account:function:name
        parts = parts[parts.index("function") + 1 :]
    return parts[0], (parts[1] if len(parts) > 1 else None)


def function_arn(function_name: str, qualifier: str | None = None, *, region_name: str = REGION) -> str:
    arn = f"arn:aws:lambda:{region_name}:{ACCOUNT_ID}:function:{function_name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def new_request_id() -> str:
    return str(uuid.uuid4())


# -- answers to the caller (the Invoke API's own errors) ---------------------------------------


def error_answer(status: int, error_type: str, message: str, **extra: str) -> Answer:
    """Lambda's error shape: botocore reads the code from x-amzn-ErrorType and the Message key."""
    body = json.dumps({"Type": "User", "Message": message, **extra}).encode("utf-8")
    return Answer(
        status=status,
        body=body,
        headers=(
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", error_type),
            ("x-amzn-RequestId", new_request_id()),
        ),
    )


def unknown_operation() -> Answer:
    return error_answer(HTTPStatus.NOT_FOUND, "UnknownOperationException", "Unknown operation")


def function_not_found(arn: str) -> Answer:
    return error_answer(HTTPStatus.NOT_FOUND, "ResourceNotFoundException", f"Function not found: {arn}")


def request_too_large(limit_bytes: int) -> Answer:
    return error_answer(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "RequestTooLargeException",
        f"Request must be smaller than {limit_bytes} bytes for the InvokeFunction operation",
    )


def invalid_request_content(message: str) -> Answer:
    return error_answer(HTTPStatus.BAD_REQUEST, "InvalidRequestContentException", message)


def invalid_invocation_type(value: str) -> Answer:
    return _unsupported_value("InvocationType", value, INVOCATION_TYPES)


def invalid_log_type(value: str) -> Answer:
    return _unsupported_value("LogType", value, LOG_TYPES)


def _unsupported_value(parameter: str, value: str, choices: Iterable[str]) -> Answer:
    return error_answer(
        HTTPStatus.BAD_REQUEST,
        "InvalidParameterValueException",
        f"Unsupported {parameter} {value[:40]!r}: use one of {', '.join(choices)}",
    )


def log_result(log: bytes) -> str:
    """The X-Amz-Log-Result header of LogType Tail: the log's last 4 KB, base64-encoded."""
    return base64.b64encode(log[-LOG_TAIL_BYTES:]).decode("ascii")


def too_many_requests() -> Answer:
    return error_answer(
        HTTPStatus.TOO_MANY_REQUESTS,
        "TooManyRequestsException",
        "Rate Exceeded.",
        Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
    )


def decode_payload(body: bytes) -> tuple[Any, Answer | None]:
    """The JSON event of a request body (an empty body is ``{}``), or Lambda's refusal."""
    try:
        return (json.loads(body) if body else {}), None
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        return None, invalid_request_content(f"Could not parse request body into json: {error}")
    except RecursionError:  # Lambda's Python runtime could not decode it either: refuse it here
        return None, invalid_request_content("Could not parse request body into json: nested too deeply")


def invoked(
    *, body: bytes, function_error: str | None, request_id: str, executed_version: str, log: bytes | None = None
) -> Answer:
    """The answer to a RequestResponse invocation that reached the function; `log`: its log
    lines when the caller asked for LogType Tail (sent as X-Amz-Log-Result)."""
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("X-Amz-Executed-Version", executed_version),
    ]
    if function_error:
        headers.append(("X-Amz-Function-Error", function_error))
    if log is not None:
        headers.append(("X-Amz-Log-Result", log_result(log)))
    return Answer(status=HTTPStatus.OK, body=body, headers=tuple(headers))


def accepted(request_id: str) -> Answer:
    """An Event invocation is queued; the caller learns nothing of its outcome."""
    return Answer(status=HTTPStatus.ACCEPTED, headers=(("x-amzn-RequestId", request_id),))


def dry_run_ok(request_id: str) -> Answer:
    return Answer(status=HTTPStatus.NO_CONTENT, headers=(("x-amzn-RequestId", request_id),))


# -- what the function answers (the payload of a 200) ------------------------------------------


def function_error_document(
    *, error_type: str, message: str, request_id: str, stack_trace: list[str] | None = None
) -> bytes:
    """The payload of a failed invocation, as the Python runtime and Lambda itself write it."""
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": stack_trace or [],
        }
    ).encode("utf-8")


def run_handler(handler: Callable[[Any, Any], Any], event: Any, context: Any) -> tuple[bytes, str | None]:
    """The response body and the X-Amz-Function-Error value, as the Python runtime produces them."""
    request_id = context.aws_request_id
    try:
        result = handler(event, context)
    except Exception as error:  # the runtime reports any exception as an Unhandled function error
        return function_error_document(
            error_type=type(error).__name__,
            message=str(error),
            request_id=request_id,
            stack_trace=traceback.format_tb(error.__traceback__),
        ), UNHANDLED
    try:
        # Python 3.12+ runtimes return non-ASCII characters unescaped.
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        return function_error_document(
            error_type="Runtime.MarshalError",
            message=f"Unable to marshal response: {error}",
            request_id=request_id,
        ), UNHANDLED
    if len(body) > RESPONSE_LIMIT_BYTES:
        return function_error_document(
            error_type="Function.ResponseSizeTooLarge",
            message=(
                f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload "
                f"size ({RESPONSE_LIMIT_BYTES} bytes)."
            ),
            request_id=request_id,
        ), UNHANDLED
    return body, None


def init_error_document(error: BaseException) -> bytes:
    """What Lambda answers when the handler's module fails to import (its init phase)."""
    if isinstance(error, ImportError):
        error_type, message = "Runtime.ImportModuleError", f"Unable to import module: {error}"
    elif isinstance(error, SystemExit):
        error_type, message = "Runtime.ExitError", f"Runtime exited during init: exit status {error.code}"
    else:
        error_type, message = type(error).__name__, str(error)
    return function_error_document(
        error_type=error_type,
        message=message,
        request_id="",
        stack_trace=traceback.format_tb(error.__traceback__),
    )


def timed_out_document(*, request_id: str, timeout_seconds: float) -> bytes:
    return function_error_document(
        error_type="Sandbox.Timedout",
        message=f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds",
        request_id=request_id,
    )


def exited_document(*, request_id: str, exit_code: int | None, out_of_memory: bool) -> bytes:
    """A runtime process that died mid-invocation: killed for memory, crashed, or killed."""
    if exit_code is not None and exit_code < 0:
        how = "signal: killed" if exit_code == -9 else f"signal: {-exit_code}"
    else:
        how = f"exit status {exit_code if exit_code is not None else 'unknown'}"
    return function_error_document(
        error_type="Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError",
        message=f"RequestId: {request_id} Error: Runtime exited with error: {how}",
        request_id=request_id,
    )

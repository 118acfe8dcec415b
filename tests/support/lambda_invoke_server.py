"""A local Lambda Invoke API on loopback, running registered Python handlers in-process.

It answers ``POST /2015-03-31/functions/{FunctionName}/invocations`` the way Lambda does, as
far as an unmodified boto3 Lambda client can tell: status codes, ``x-amzn-ErrorType`` error
codes, ``X-Amz-Function-Error`` for failing handlers, and the 6 MB synchronous payload quotas.
Every request is recorded so tests can check what a client actually sent.

    with LambdaInvokeServer() as server:
        server.register("my-function", my_module.lambda_handler)
        lambda_client = boto3.client("lambda", endpoint_url=server.endpoint_url, ...)
        lambda_client.invoke(FunctionName="my-function", Payload=b"{}")
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]

REQUEST_LIMIT_BYTES = 6_291_456  # Lambda's synchronous request quota
RESPONSE_LIMIT_BYTES = 6_291_556  # and its synchronous response quota
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
_INVOKE_PATH_PREFIX = "/2015-03-31/functions/"
_INVOKE_PATH_SUFFIX = "/invocations"


@dataclass(frozen=True)
class RecordedInvocation:
    function_name: str
    qualifier: str | None
    invocation_type: str
    request_bytes: int
    payload: Any  # the decoded request, None when it was refused before decoding
    status_code: int
    response_body: bytes

    @property
    def response_bytes(self) -> int:
        return len(self.response_body)


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float
    identity: Any = None
    client_context: Any = None

    @classmethod
    def create(
        cls,
        *,
        function_name: str,
        qualifier: str | None = None,
        region_name: str = REGION,
        memory_limit_in_mb: int = 512,
        timeout_seconds: float = 30.0,
    ) -> LocalLambdaContext:
        """A context for one invocation, as Lambda builds it (also to call a handler directly)."""
        version = qualifier if qualifier and qualifier[0].isdigit() else "$LATEST"
        arn = f"arn:aws:lambda:{region_name}:{ACCOUNT_ID}:function:{function_name}"
        request_id = str(uuid.uuid4())
        return cls(
            function_name=function_name,
            function_version=version,
            invoked_function_arn=f"{arn}:{qualifier}" if qualifier else arn,
            memory_limit_in_mb=memory_limit_in_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{function_name}",
            log_stream_name=f"local/[{version}]{request_id.replace('-', '')}",
            deadline_monotonic=time.monotonic() + timeout_seconds,
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


@dataclass(frozen=True)
class _Registration:
    handler: Handler
    qualifiers: frozenset[str] | None  # None: any qualifier is accepted
    memory_limit_in_mb: int
    timeout_seconds: float


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class LambdaInvokeServer:
    """Threaded HTTP server on 127.0.0.1, on a free port; start/stop it or use it in `with`."""

    def __init__(self, *, region_name: str = REGION) -> None:
        self.region_name = region_name
        self._functions: dict[str, _Registration] = {}
        self._invocations: list[RecordedInvocation] = []
        self._throttled_calls_left = 0
        self._lock = threading.Lock()
        self._httpd = _QuietThreadingHTTPServer(("127.0.0.1", 0), _make_request_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> LambdaInvokeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() may wait for the loop to notice
            name="lambda-invoke-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> LambdaInvokeServer:
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()

    def register(
        self,
        function_name: str,
        handler: Handler,
        *,
        qualifiers: Collection[str] | None = None,
        memory_limit_in_mb: int = 512,
        timeout_seconds: float = 30.0,
    ) -> None:
        """Serve ``handler`` as ``function_name``; ``qualifiers``: its versions/aliases."""
        with self._lock:
            self._functions[function_name] = _Registration(
                handler=handler,
                qualifiers=frozenset(qualifiers) if qualifiers is not None else None,
                memory_limit_in_mb=memory_limit_in_mb,
                timeout_seconds=timeout_seconds,
            )

    def throttle_next(self, calls: int) -> None:
        """Answer the next ``calls`` invocations with 429 TooManyRequestsException."""
        with self._lock:
            self._throttled_calls_left = calls

    @property
    def invocations(self) -> list[RecordedInvocation]:
        with self._lock:
            return list(self._invocations)

    def clear_invocations(self) -> None:
        with self._lock:
            self._invocations.clear()

    def function_arn(self, function_name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region_name}:{ACCOUNT_ID}:function:{function_name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    # -- request handling (called on the server's threads) --------------------------------

    def _answer(self, *, path: str, headers: Any, body: bytes) -> _Answer:
        url = urlsplit(path)
        if not (
            url.path.startswith(_INVOKE_PATH_PREFIX) and url.path.endswith(_INVOKE_PATH_SUFFIX)
        ):
            return _error(HTTPStatus.NOT_FOUND, "UnknownOperationException", "Unknown operation")
        function_ref = unquote(url.path[len(_INVOKE_PATH_PREFIX) : -len(_INVOKE_PATH_SUFFIX)])
        function_name, qualifier = _split_function_ref(function_ref)
        qualifier = parse_qs(url.query).get("Qualifier", [qualifier])[0]
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"

        answer, payload = self._run(
            function_name=function_name,
            qualifier=qualifier,
            invocation_type=invocation_type,
            body=body,
        )
        with self._lock:
            self._invocations.append(
                RecordedInvocation(
                    function_name=function_name,
                    qualifier=qualifier,
                    invocation_type=invocation_type,
                    request_bytes=len(body),
                    payload=payload,
                    status_code=int(answer.status),
                    response_body=answer.body,
                )
            )
        return answer

    def _run(
        self, *, function_name: str, qualifier: str | None, invocation_type: str, body: bytes
    ) -> tuple[_Answer, Any]:
        with self._lock:
            registration = self._functions.get(function_name)
        if registration is None or (
            qualifier
            and registration.qualifiers is not None
            and qualifier not in registration.qualifiers
        ):
            return _not_found(self.function_arn(function_name, qualifier)), None
        if len(body) > REQUEST_LIMIT_BYTES:
            return _error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "RequestTooLargeException",
                f"Request must be smaller than {REQUEST_LIMIT_BYTES} bytes"
                " for the InvokeFunction operation",
            ), None
        if self._take_throttled_call():
            return _error(
                HTTPStatus.TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            ), None
        try:
            event = json.loads(body) if body else {}
        except ValueError as error:
            return _error(
                HTTPStatus.BAD_REQUEST,
                "InvalidRequestContentException",
                f"Could not parse request body into json: {error}",
            ), None
        if invocation_type == "DryRun":
            return _Answer(status=HTTPStatus.NO_CONTENT), event

        context = LocalLambdaContext.create(
            function_name=function_name,
            qualifier=qualifier,
            region_name=self.region_name,
            memory_limit_in_mb=registration.memory_limit_in_mb,
            timeout_seconds=registration.timeout_seconds,
        )
        request_id = context.aws_request_id
        response_body, function_error = _run_handler(registration.handler, event, context)
        if invocation_type == "Event":  # Lambda queues it; the caller learns nothing of the outcome
            return _Answer(
                status=HTTPStatus.ACCEPTED, headers=(("x-amzn-RequestId", request_id),)
            ), event
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("X-Amz-Executed-Version", context.function_version),
        ]
        if function_error:
            headers.append(("X-Amz-Function-Error", function_error))
        return _Answer(status=HTTPStatus.OK, body=response_body, headers=tuple(headers)), event

    def _take_throttled_call(self) -> bool:
        with self._lock:
            if self._throttled_calls_left <= 0:
                return False
            self._throttled_calls_left -= 1
            return True


def _run_handler(
    handler: Handler, event: Any, context: LocalLambdaContext
) -> tuple[bytes, str | None]:
    """The response body and the X-Amz-Function-Error value, as the Python runtime produces them."""
    try:
        result = handler(event, context)
    except Exception as error:  # the runtime reports any exception as an Unhandled function error
        return _function_error(
            error_type=type(error).__name__,
            message=str(error),
            request_id=context.aws_request_id,
            stack_trace=traceback.format_tb(error.__traceback__),
        ), "Unhandled"
    try:
        # Python 3.12+ runtimes return non-ASCII characters unescaped.
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        return _function_error(
            error_type="Runtime.MarshalError",
            message=f"Unable to marshal response: {error}",
            request_id=context.aws_request_id,
        ), "Unhandled"
    if len(body) > RESPONSE_LIMIT_BYTES:
        return _function_error(
            error_type="Function.ResponseSizeTooLarge",
            message=(
                f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload "
                f"size ({RESPONSE_LIMIT_BYTES} bytes)."
            ),
            request_id=context.aws_request_id,
        ), "Unhandled"
    return body, None


def _function_error(
    *, error_type: str, message: str, request_id: str, stack_trace: list[str] | None = None
) -> bytes:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": stack_trace or [],
        }
    ).encode("utf-8")


def _split_function_ref(function_ref: str) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, or a full or partial function ARN."""
    parts = function_ref.split(":")
    if (
        "function" in parts
    ):  # arn:aws:lambda:region:account:function:name[:qualifier] or account:function:name
        parts = parts[parts.index("function") + 1 :]
    return parts[0], (parts[1] if len(parts) > 1 else None)


def _not_found(function_arn: str) -> _Answer:
    return _error(
        HTTPStatus.NOT_FOUND, "ResourceNotFoundException", f"Function not found: {function_arn}"
    )


def _error(status: int, error_type: str, message: str, **extra: str) -> _Answer:
    """Lambda's error shape: botocore reads the code from x-amzn-ErrorType and the Message key."""
    body = json.dumps({"Type": "User", "Message": message, **extra}).encode("utf-8")
    return _Answer(
        status=status,
        body=body,
        headers=(
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", error_type),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ),
    )


class _QuietThreadingHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its pooled keep-alive connection is normal, not a server fault.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _make_request_handler(server: LambdaInvokeServer) -> type[BaseHTTPRequestHandler]:
    class InvokeRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
        disable_nagle_algorithm = (
            True  # headers and body go out in two writes; don't delay the second
        )

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length")
            if length is None:
                self._send(
                    _error(
                        HTTPStatus.LENGTH_REQUIRED,
                        "InvalidRequestContentException",
                        "Content-Length required",
                    )
                )
                return
            # Read the whole body even when it will be refused, so the connection stays usable.
            body = self.rfile.read(int(length))
            self._send(server._answer(path=self.path, headers=self.headers, body=body))

        def _send(self, answer: _Answer) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            logger.debug("%s %s", self.address_string(), format % args)

    return InvokeRequestHandler

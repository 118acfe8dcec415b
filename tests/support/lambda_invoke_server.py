"""A local Lambda Invoke API on loopback, running registered Python handlers in-process.

It answers ``POST /2015-03-31/functions/{FunctionName}/invocations`` the way Lambda does, as
far as an unmodified boto3 Lambda client can tell: status codes, ``x-amzn-ErrorType`` error
codes, ``X-Amz-Function-Error`` for failing handlers, and the 6 MB synchronous payload quotas
(the wire format is `make serve`'s, from tools.local_serve.invoke_protocol). Every request is
recorded so tests can check what a client actually sent.

    with LambdaInvokeServer() as server:
        server.register("my-function", my_module.lambda_handler)
        lambda_client = boto3.client("lambda", endpoint_url=server.endpoint_url, ...)
        lambda_client.invoke(FunctionName="my-function", Payload=b"{}")
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from tools.local_lambda import LocalLambdaContext
from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.http_server import LoopbackHTTPServer, Request
from tools.local_serve.invoke_protocol import (
    ACCOUNT_ID,
    REGION,
    REQUEST_LIMIT_BYTES,
    RESPONSE_LIMIT_BYTES,
    Answer,
)

__all__ = [
    "ACCOUNT_ID",
    "REGION",
    "REQUEST_LIMIT_BYTES",
    "RESPONSE_LIMIT_BYTES",
    "LambdaInvokeServer",
    "LocalLambdaContext",
    "RecordedInvocation",
]

Handler = Callable[[Any, Any], Any]


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


@dataclass(frozen=True)
class _Registration:
    handler: Handler
    qualifiers: frozenset[str] | None  # None: any qualifier is accepted
    memory_limit_in_mb: int
    timeout_seconds: float


class LambdaInvokeServer:
    """Threaded HTTP server on 127.0.0.1, on a free port; start/stop it or use it in `with`."""

    def __init__(self, *, region_name: str = REGION) -> None:
        self.region_name = region_name
        self._functions: dict[str, _Registration] = {}
        self._invocations: list[RecordedInvocation] = []
        self._throttled_calls_left = 0
        self._lock = threading.Lock()
        self._http = LoopbackHTTPServer(respond=self._respond, name="lambda-invoke")

    @property
    def endpoint_url(self) -> str:
        return self._http.endpoint_url

    def start(self) -> LambdaInvokeServer:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

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
        return protocol.function_arn(function_name, qualifier, region_name=self.region_name)

    # -- request handling (called on the server's threads) --------------------------------

    def _respond(self, request: Request) -> Answer:
        target = protocol.parse_invoke_path(request.path) if request.method == "POST" else None
        if target is None:
            return protocol.unknown_operation()
        if request.body is None:
            return protocol.error_answer(
                HTTPStatus.LENGTH_REQUIRED, "InvalidRequestContentException", "Content-Length required"
            )
        invocation_type = request.headers.get("X-Amz-Invocation-Type") or protocol.REQUEST_RESPONSE
        answer, payload = self._run(target=target, invocation_type=invocation_type, body=request.body)
        with self._lock:
            self._invocations.append(
                RecordedInvocation(
                    function_name=target.function_name,
                    qualifier=target.qualifier,
                    invocation_type=invocation_type,
                    request_bytes=len(request.body),
                    payload=payload,
                    status_code=int(answer.status),
                    response_body=answer.body,
                )
            )
        return answer

    def _run(self, *, target: protocol.InvokeTarget, invocation_type: str, body: bytes) -> tuple[Answer, Any]:
        function_name, qualifier = target.function_name, target.qualifier
        with self._lock:
            registration = self._functions.get(function_name)
        if registration is None or (
            qualifier and registration.qualifiers is not None and qualifier not in registration.qualifiers
        ):
            return protocol.function_not_found(self.function_arn(function_name, qualifier)), None
        if len(body) > REQUEST_LIMIT_BYTES:
            return protocol.request_too_large(REQUEST_LIMIT_BYTES), None
        if self._take_throttled_call():
            return protocol.too_many_requests(), None
        event, refusal = protocol.decode_payload(body)
        if refusal is not None:
            return refusal, None
        if invocation_type == protocol.DRY_RUN:
            return Answer(status=HTTPStatus.NO_CONTENT), event

        context = LocalLambdaContext.create(
            function_name=function_name,
            qualifier=qualifier,
            region_name=self.region_name,
            memory_limit_in_mb=registration.memory_limit_in_mb,
            timeout_seconds=registration.timeout_seconds,
        )
        request_id = context.aws_request_id
        response_body, function_error = protocol.run_handler(registration.handler, event, context)
        if invocation_type == protocol.EVENT:  # Lambda queues it; the caller learns nothing of the outcome
            return protocol.accepted(request_id), event
        return protocol.invoked(
            body=response_body,
            function_error=function_error,
            request_id=request_id,
            executed_version=context.function_version,
        ), event

    def _take_throttled_call(self) -> bool:
        with self._lock:
            if self._throttled_calls_left <= 0:
                return False
            self._throttled_calls_left -= 1
            return True

"""Lambda's Runtime API on loopback: what a runtime interface client talks to inside Lambda.

One execution environment's view of it, enough for an unmodified client (``awslambdaric``)
to start, fetch events, answer them, and report init or invocation errors:

    GET  /2018-06-01/runtime/invocation/next            blocks until an event is queued
    POST /2018-06-01/runtime/invocation/{id}/response   the handler's result
    POST /2018-06-01/runtime/invocation/{id}/error      an invocation error
    POST /2018-06-01/runtime/init/error                 the handler could not be loaded

    with LambdaRuntimeApi(function_name="my-function") as api:
        # start the client with AWS_LAMBDA_RUNTIME_API=api.address, then:
        result = api.invoke({"action": "health"}, timeout=60)
        result.json()

`first_poll_at` (time.monotonic()) is when the runtime first asked for an event: the moment
Lambda considers its init done (the init duration is from the process's start to then).

Shared by the tests, `make invoke ARTIFACT=1` (tools/invoke.py) and the benchmarks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from tools.local_serve.http_server import LOOPBACK, QuietThreadingHTTPServer, ServerThread

logger = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_PREFIX = "/2018-06-01/runtime"
_NEXT_PATH = f"{_PREFIX}/invocation/next"
_INIT_ERROR_PATH = f"{_PREFIX}/init/error"
_INVOCATION_PREFIX = f"{_PREFIX}/invocation/"
# How often a blocked GET .../next looks whether the server is stopping.
_STOP_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class InvocationResult:
    """What the runtime posted for one event: its response, or an invocation error."""

    request_id: str
    succeeded: bool  # POST .../response (True) or POST .../error (False)
    body: bytes
    content_type: str | None
    # The Lambda-Runtime-Function-Error-Type header of an error, if sent (awslambdaric's
    # invocation errors carry their type in the body only: see json()["errorType"]).
    error_type: str | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class InitError:
    """What the runtime posted to /init/error before exiting: the handler could not be loaded."""

    error_type: str | None  # the Lambda-Runtime-Function-Error-Type header
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RuntimeInitFailed(Exception):
    """An invocation cannot run: the runtime reported an init error (as Lambda answers then)."""

    def __init__(self, init_error: InitError) -> None:
        super().__init__(f"the runtime reported an init error: {init_error.body.decode(errors='replace')}")
        self.init_error = init_error


class RuntimeGone(Exception):
    """The runtime can no longer answer (see `abandon`)."""


@dataclass(frozen=True)
class _Event:
    request_id: str
    body: bytes


class LambdaRuntimeApi(ServerThread):
    """Threaded HTTP server on 127.0.0.1, on a free port; start/stop it or use it in `with`."""

    def __init__(
        self,
        *,
        function_name: str = "local-function",
        region_name: str = REGION,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.function_arn = f"arn:aws:lambda:{region_name}:{ACCOUNT_ID}:function:{function_name}"
        self.timeout_seconds = timeout_seconds
        self._changed = threading.Condition()
        self._queued: deque[_Event] = deque()
        self._in_flight: set[str] = set()
        self._results: dict[str, InvocationResult] = {}
        self._init_error: InitError | None = None
        self._gone: str | None = None  # why the runtime can no longer answer
        self._stopping = False
        self.first_poll_at: float | None = None  # time.monotonic() of the first GET .../next
        server = QuietThreadingHTTPServer((LOOPBACK, 0), _make_request_handler(self))
        super().__init__(server, thread_name="lambda-runtime-api", poll_interval=0.05)

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API."""
        return f"{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        super().stop()

    # -- the caller's side: queue events, wait for what the runtime posts ----------------------

    def queue(self, event: Any) -> str:
        """Queue an event (JSON-serialisable, or raw bytes sent as they are); its request id."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        request_id = str(uuid.uuid4())
        with self._changed:
            self._queued.append(_Event(request_id=request_id, body=body))
            self._changed.notify_all()
        return request_id

    def result(self, request_id: str, *, timeout: float) -> InvocationResult:
        """Wait for the runtime's response or error to `request_id`.

        Raises RuntimeInitFailed when the runtime reported an init error instead, RuntimeGone
        after `abandon`, and TimeoutError when nothing came within `timeout` seconds.
        """
        with self._changed:
            self._changed.wait_for(
                lambda: request_id in self._results or self._init_error or self._gone, timeout=timeout
            )
            if request_id in self._results:
                return self._results[request_id]
            if self._init_error is not None:
                raise RuntimeInitFailed(self._init_error)
            if self._gone is not None:
                raise RuntimeGone(self._gone)
        raise TimeoutError(f"no response to {request_id} within {timeout} s")

    def invoke(self, event: Any, *, timeout: float) -> InvocationResult:
        return self.result(self.queue(event), timeout=timeout)

    def init_error(self, *, timeout: float) -> InitError:
        """Wait for the runtime to report an init error; RuntimeGone or TimeoutError if it does not."""
        with self._changed:
            self._changed.wait_for(lambda: self._init_error or self._gone, timeout=timeout)
            if self._init_error is not None:
                return self._init_error
            if self._gone is not None:
                raise RuntimeGone(self._gone)
        raise TimeoutError(f"no init error within {timeout} s")

    def wait_for_first_poll(self, *, timeout: float) -> float:
        """time.monotonic() of the runtime's first GET .../next (its init is done then).

        Raises RuntimeInitFailed if it reported an init error instead, RuntimeGone after
        `abandon`, TimeoutError when nothing came within `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.first_poll_at is not None or self._init_error or self._gone, timeout=timeout
            )
            if self.first_poll_at is not None:
                return self.first_poll_at
            if self._init_error is not None:
                raise RuntimeInitFailed(self._init_error)
            if self._gone is not None:
                raise RuntimeGone(self._gone)
        raise TimeoutError(f"the runtime did not ask for an event within {timeout} s")

    def abandon(self, reason: str) -> None:
        """The runtime process is gone (say why): waiting callers stop waiting at once."""
        with self._changed:
            self._gone = reason
            self._changed.notify_all()

    # -- the runtime's side (called on the server's threads) -----------------------------------

    def _next_event(self) -> _Event | None:
        """The next queued event, once there is one; None when the server is stopping."""
        with self._changed:
            if self.first_poll_at is None:
                self.first_poll_at = time.monotonic()
                self._changed.notify_all()
            while not self._queued:
                if self._stopping:
                    return None
                self._changed.wait(timeout=_STOP_POLL_SECONDS)
            event = self._queued.popleft()
            self._in_flight.add(event.request_id)
            return event

    def _record_result(self, result: InvocationResult) -> bool:
        with self._changed:
            if result.request_id not in self._in_flight:
                return False
            self._in_flight.discard(result.request_id)
            self._results[result.request_id] = result
            self._changed.notify_all()
            return True

    def _record_init_error(self, init_error: InitError) -> None:
        with self._changed:
            self._init_error = init_error
            self._changed.notify_all()


def _trace_id() -> str:
    """An X-Ray trace header, not sampled: nothing tries to reach an X-Ray daemon."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


def _make_request_handler(api: LambdaRuntimeApi) -> type[BaseHTTPRequestHandler]:
    class RuntimeApiRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the client keeps one connection open across calls

        def do_GET(self) -> None:
            if self.path != _NEXT_PATH:
                self._send_json(
                    HTTPStatus.NOT_FOUND, {"errorMessage": f"no such path {self.path}", "errorType": "NotFound"}
                )
                return
            event = api._next_event()
            if event is None:
                self._send_json(
                    HTTPStatus.INTERNAL_SERVER_ERROR, {"errorMessage": "shutting down", "errorType": "ShutDown"}
                )
                return
            deadline_ms = int((time.time() + api.timeout_seconds) * 1000)
            self._send(
                HTTPStatus.OK,
                event.body,
                headers={
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": event.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": _trace_id(),
                },
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == _INIT_ERROR_PATH:
                api._record_init_error(InitError(error_type=self.headers.get(ERROR_TYPE_HEADER), body=body))
                self._send_json(HTTPStatus.ACCEPTED, {"status": "OK"})
                return
            request_id, _, outcome = self.path.removeprefix(_INVOCATION_PREFIX).partition("/")
            if not self.path.startswith(_INVOCATION_PREFIX) or outcome not in ("response", "error"):
                self._send_json(
                    HTTPStatus.NOT_FOUND, {"errorMessage": f"no such path {self.path}", "errorType": "NotFound"}
                )
                return
            result = InvocationResult(
                request_id=request_id,
                succeeded=outcome == "response",
                body=body,
                content_type=self.headers.get("Content-Type"),
                error_type=self.headers.get(ERROR_TYPE_HEADER) if outcome == "error" else None,
            )
            if not api._record_result(result):
                self._send_json(
                    HTTPStatus.BAD_REQUEST,
                    {"errorMessage": f"{request_id} is not an invocation in progress", "errorType": "InvalidRequestID"},
                )
                return
            self._send_json(HTTPStatus.ACCEPTED, {"status": "OK"})

        def _send_json(self, status: int, body: dict[str, str]) -> None:
            self._send(status, json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, *, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            logger.debug("%s %s", self.address_string(), format % args)

    return RuntimeApiRequestHandler

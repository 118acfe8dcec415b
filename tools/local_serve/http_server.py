"""A threaded HTTP/1.1 server on loopback that hands each request to one function.

Both of `make serve`'s front doors (the Invoke API and the HTTP routes) and the client tests'
in-process Invoke API are this server with a different ``respond`` function. Binding happens
in the constructor, so a busy port fails there, before anything else has started.

`ServerThread` and `QuietThreadingHTTPServer` are the parts every loopback server here shares
(this one, the embedded S3 and the Runtime API of tools/lambda_runtime_api.py).
"""

from __future__ import annotations

import logging
import socketserver
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tools.local_serve.invoke_protocol import Answer

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# Bodies are read whole before anything is refused (so the connection stays usable); past
# this the client is cut off instead: far above every limit a function enforces.
MAX_READ_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent: path and query string
    headers: Any  # email.message.Message: case-insensitive get(), get_all()
    body: bytes | None  # None: no Content-Length and not chunked
    client_ip: str
    protocol: str  # e.g. "HTTP/1.1"


Respond = Callable[[Request], Answer]


class ServerThread:
    """A socketserver (http.server's, werkzeug's) bound on loopback, served on a daemon thread
    from start() to stop(), or for the time of a `with` block."""

    def __init__(self, server: socketserver.BaseServer, *, thread_name: str, poll_interval: float = 0.5) -> None:
        self._server = server
        self._thread_name = thread_name
        self._poll_interval = poll_interval  # how long stop() may wait for the loop to notice
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])  # type: ignore[index]  # an AF_INET (host, port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=self._thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server whose request threads never hold up the process's exit, and
    that takes a client dropping its connection as normal, not as a server fault."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its pooled keep-alive connection, or a Lambda runtime stopped
        # while it waits for its next event, is normal.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackHTTPServer(ServerThread):
    """Serves ``respond`` on 127.0.0.1:``port`` (0: a free port) in a background thread."""

    def __init__(self, *, respond: Respond, port: int = 0, name: str = "http") -> None:
        self.name = name
        # Raises OSError (EADDRINUSE) here when the port is taken.
        server = _LoopbackThreadingHTTPServer((LOOPBACK, port), _request_handler(respond))
        super().__init__(server, thread_name=f"{name}-server", poll_interval=0.05)


class _BodyTooLarge(Exception):
    pass


class _LoopbackThreadingHTTPServer(QuietThreadingHTTPServer):
    allow_reuse_address = False  # a second server on a busy port must fail, not share it
    request_queue_size = 128  # 32 clients connecting at once must not overflow the backlog (5)


def _request_handler(respond: Respond) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
        disable_nagle_algorithm = True  # headers and body go out in two writes; don't delay the second

        def _handle(self) -> None:
            try:
                body = self._read_body()
            except _BodyTooLarge:
                self._send(Answer(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE), close=True)
                return
            except ValueError as error:
                self._send(Answer(status=HTTPStatus.BAD_REQUEST, body=str(error).encode()), close=True)
                return
            request = Request(
                method=self.command,
                path=self.path,
                headers=self.headers,
                body=body,
                client_ip=self.client_address[0],
                protocol=self.request_version,
            )
            self._send(respond(request))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def _read_body(self) -> bytes | None:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                return self._read_chunked()
            length = self.headers.get("Content-Length")
            if length is None:
                return None
            try:
                size = int(length)
            except ValueError:
                raise ValueError(f"Content-Length is not a number: {length[:20]!r}") from None
            if size > MAX_READ_BYTES:
                raise _BodyTooLarge()
            return self.rfile.read(size)

        def _read_chunked(self) -> bytes:
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise ValueError("malformed chunked body") from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_READ_BYTES:
                    raise _BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)  # the CRLF after each chunk

        def _send(self, answer: Answer, *, close: bool = False) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            logger.debug("%s %s", self.address_string(), format % args)

    return RequestHandler

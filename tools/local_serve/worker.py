"""One execution environment: the code that runs inside a worker process.

A worker is started with the `spawn` method (a fresh interpreter, nothing inherited from the
server but the environment), takes on the function's environment, imports the handler once
(the init phase, i.e. the cold start) and then runs one invocation at a time, as Lambda runs
an execution environment. It talks to the server over a pipe:

    worker -> server   ("ready", init_ms)  or  ("init_error", error document)
    server -> worker   Invocation
    worker -> server   ("result", body, function_error, log)

`log` is the invocation's log as Lambda's log stream has it (START, every line the function
wrote to stdout/stderr or logged, END, REPORT; at most the last LOG_KEEP_BYTES), for
LogType Tail. Output written by native code straight to the file descriptors is not in it.

The server enforces the timeout and the memory size from outside (it kills the process), so
nothing here can be trusted to stop a runaway handler.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO, Any

LOG_KEEP_BYTES = 8192  # twice the 4 KB LogType Tail returns
READY = "ready"
INIT_ERROR = "init_error"
RESULT = "result"


@dataclass(frozen=True, kw_only=True)
class WorkerSpec:
    """Everything a worker needs, sent to the new process (so: plain, picklable data)."""

    function_name: str
    handler: str  # "package.module.function", importable from functions/
    memory_mb: int
    timeout_seconds: int
    environment: dict[str, str]  # the whole environment of the process
    log_prefix: str | None  # prefix of each line the function prints; None: output discarded


@dataclass(frozen=True, kw_only=True)
class Invocation:
    request_id: str
    payload: bytes  # the event, as JSON
    invoked_function_arn: str
    function_version: str


def worker_main(spec: WorkerSpec, connection: Connection) -> None:
    """The worker process's entry point."""
    # Ctrl-C reaches the whole process group: the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(spec.environment)
    log = _InvocationLog()
    _route_output(spec.log_prefix, log)

    # Imported here, not at the top: only after the function's environment is in place.
    from tools.local_lambda import LocalLambdaContext, load_handler
    from tools.local_serve.invoke_protocol import decode_payload, init_error_document, run_handler

    started = time.perf_counter()
    try:
        handler = load_handler(spec.handler)
    except BaseException as error:  # the init phase failed: every invocation answers this
        connection.send((INIT_ERROR, init_error_document(error)))
        return
    connection.send((READY, round((time.perf_counter() - started) * 1000, 1)))

    while True:
        try:
            invocation: Invocation = connection.recv()
        except (EOFError, OSError):  # the server closed the pipe: shut down
            return
        context = LocalLambdaContext(
            function_name=spec.function_name,
            memory_limit_in_mb=spec.memory_mb,
            timeout_seconds=spec.timeout_seconds,
            function_version=invocation.function_version,
            aws_request_id=invocation.request_id,
            invoked_function_arn=invocation.invoked_function_arn,
        )
        event, _ = decode_payload(invocation.payload)  # the server has checked that it decodes
        log.start(f"START RequestId: {invocation.request_id} Version: {invocation.function_version}")
        started = time.perf_counter()
        body, function_error = run_handler(handler, event, context)
        _flush_output()
        duration_ms = (time.perf_counter() - started) * 1000
        max_used_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        log.line(f"END RequestId: {invocation.request_id}")
        log.line(
            f"REPORT RequestId: {invocation.request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration:"
            f" {max(1, int(duration_ms + 0.999))} ms\tMemory Size: {spec.memory_mb} MB\tMax Memory Used: {max_used_mb} MB"
        )
        try:
            connection.send((RESULT, body, function_error, log.take()))
        except OSError:  # the server is gone (killed, or it gave up on this invocation)
            return


class _InvocationLog:
    """The current invocation's log lines (the last LOG_KEEP_BYTES of them)."""

    def __init__(self) -> None:
        self._lines = bytearray()

    def start(self, first_line: str) -> None:
        self._lines.clear()
        self.line(first_line)

    def line(self, text: str) -> None:
        self._lines += text.encode("utf-8", "replace") + b"\n"
        if len(self._lines) > 2 * LOG_KEEP_BYTES:
            del self._lines[:-LOG_KEEP_BYTES]

    def take(self) -> bytes:
        taken = bytes(self._lines[-LOG_KEEP_BYTES:])
        self._lines.clear()
        return taken


def _route_output(prefix: str | None, log: _InvocationLog | None = None) -> None:
    """Function output goes to the server's terminal, each line prefixed with the function's
    name; or nowhere. Either way each line is also kept in `log` (for LogType Tail). Log
    handlers created at import (Powertools) pick up these streams."""
    if prefix is None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # native libraries' output too
        os.dup2(devnull, 2)
        os.close(devnull)
        discard = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        sys.stdout = _PrefixedLines(discard, None, log)
        sys.stderr = _PrefixedLines(discard, None, log)
    else:
        terminal_out, terminal_err = sys.__stdout__, sys.__stderr__
        assert terminal_out is not None and terminal_err is not None  # the process's original streams
        sys.stdout = _PrefixedLines(terminal_out, prefix, log)
        sys.stderr = _PrefixedLines(terminal_err, prefix, log)
    # Lambda's runtime sends the standard library's log records to the log stream at INFO.
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)


def _flush_output() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


class _PrefixedLines:
    """A text stream that writes whole lines, each starting with ``prefix`` (None: the stream
    is a sink, nothing is written to it), and keeps each line in ``log`` too."""

    def __init__(self, stream: IO[str], prefix: str | None, log: _InvocationLog | None = None) -> None:
        self._stream = stream
        self._prefix = prefix
        self._log = log
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        if lines:
            self._emit(lines)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._emit([self._pending])
            self._pending = ""
        self._stream.flush()

    def _emit(self, lines: list[str]) -> None:
        if self._log is not None:
            for line in lines:
                self._log.line(line)
        if self._prefix is not None:
            self._stream.write("".join(f"{self._prefix} {line}\n" for line in lines))
            self._stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:  # encoding, fileno... of the real stream
        return getattr(self._stream, name)

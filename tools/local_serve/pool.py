"""The worker processes of one function, and what Lambda does when one of them misbehaves.

Each worker is one execution environment running one invocation at a time; an invocation
waits for an idle worker (Lambda would add an environment or throttle; here the number is
fixed and the rest queue). The pool answers for its workers:

- timeout: a worker still busy after the function's timeout is killed; the caller gets
  Lambda's ``Sandbox.Timedout`` error, and a fresh worker (a new cold start) takes its place;
- crash: a worker that dies mid-invocation (os._exit, a signal, a segfault) fails that
  invocation only, with ``Runtime.ExitError``, and is replaced;
- memory: the watchdog (memory.py) kills a worker whose resident memory exceeds the
  function's MemorySize; the invocation gets ``Runtime.OutOfMemory``, and it is replaced;
- init failure: the handler's import failed; each invocation gets that error (as Lambda
  answers a failed init) and the next one tries a fresh worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.worker import INIT_ERROR, READY, Invocation, WorkerSpec, worker_main

logger = logging.getLogger(__name__)

_SPAWN = multiprocessing.get_context("spawn")
# Lambda gives the init phase 10 s; a laptop importing onnxruntime under load may need more,
# and a slow first start is not the function's fault here.
INIT_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class InvokeOutcome:
    body: bytes  # the function's JSON answer, or the error document
    function_error: str | None  # "Unhandled" when the invocation failed
    error_type: str | None = None  # for failures Lambda itself reports: "Sandbox.Timedout"...
    log: bytes = b""  # the invocation's log lines (worker.py), for LogType Tail

    @property
    def timed_out(self) -> bool:
        return self.error_type == "Sandbox.Timedout"


class WorkerBase:
    """What the pool and the memory watchdog know of a worker, whatever runs inside it: a
    spawned interpreter importing the handler (Worker), or the shipped artifact under the
    runtime interface client (artifact_worker.ArtifactWorker)."""

    process: Any  # is_alive(), join(timeout), kill(), exitcode, pid
    connection: Any  # send(invocation), poll(timeout), recv(), close()

    def __init__(self, *, number: int) -> None:
        self.number = number
        self.ready = False
        self.init_ms: float | None = None
        self.init_error: bytes | None = None
        self.killed_for_memory_bytes: int | None = None  # set by the watchdog before it kills
        self.retired = False

    @property
    def pid(self) -> int:
        raise NotImplementedError

    def died_while_idle(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(STOP_GRACE_SECONDS)

    def await_ready(self, timeout_seconds: float) -> bytes | None:
        """Wait for the init phase; None when ready, else the error document to answer."""
        if self.ready:
            return None
        if self.init_error is not None:
            return self.init_error
        return self._wait_for_init(timeout_seconds)

    def _wait_for_init(self, timeout_seconds: float) -> bytes | None:
        raise NotImplementedError

    def _init_timed_out(self, timeout_seconds: float) -> bytes:
        self.kill()
        self.init_error = protocol.function_error_document(
            error_type="Runtime.InitTimeout",
            message=f"the handler did not finish importing within {timeout_seconds:.0f} s",
            request_id="",
        )
        return self.init_error

    def _exited_during_init(self) -> bytes:
        self.process.join(STOP_GRACE_SECONDS)
        self.init_error = protocol.exited_document(
            request_id="", exit_code=self.process.exitcode, out_of_memory=self.killed_for_memory_bytes is not None
        )
        return self.init_error


class Worker(WorkerBase):
    """One worker process and the server's end of its pipe."""

    def __init__(self, spec: WorkerSpec, *, number: int) -> None:
        super().__init__(number=number)
        server_end, worker_end = _SPAWN.Pipe(duplex=True)
        self.process: SpawnProcess = _SPAWN.Process(
            target=worker_main,
            args=(spec, worker_end),
            name=f"{spec.function_name}-{number}",
            daemon=True,
        )
        self.process.start()
        worker_end.close()  # so that our recv() sees EOF when the worker dies
        self.connection: Connection = server_end

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def died_while_idle(self) -> bool:
        """An idle worker never writes to its pipe: anything readable there is the EOF its
        death left. (waitpid can still call a process alive just after it was killed.)"""
        try:
            return self.connection.poll(0) or not self.process.is_alive()
        except OSError:
            return True

    def _wait_for_init(self, timeout_seconds: float) -> bytes | None:
        try:
            if not self.connection.poll(timeout_seconds):
                return self._init_timed_out(timeout_seconds)
            message = self.connection.recv()
        except (EOFError, OSError):
            return self._exited_during_init()
        if message[0] == READY:
            self.ready, self.init_ms = True, message[1]
            return None
        assert message[0] == INIT_ERROR, message
        self.init_error = message[1]
        return self.init_error

    def stop(self) -> None:
        """Close the pipe (an idle worker exits on EOF), then kill whatever is left."""
        self.retired = True
        self.connection.close()
        self.process.join(0.2)
        self.kill()


class FunctionPool:
    """``workers`` processes serving one function; ``invoke`` is safe from many threads."""

    def __init__(
        self, spec: WorkerSpec, *, workers: int, start_worker: Callable[..., WorkerBase] | None = None
    ) -> None:
        """`start_worker(spec, number=n)` starts one worker: a spawned Worker by default, or
        an artifact_worker.ArtifactWorker (the shipped artifact under Lambda's Python)."""
        if workers < 1:
            raise ValueError(f"{spec.function_name}: workers must be at least 1, got {workers}")
        self.spec = spec
        self.size = workers
        self._idle: queue.Queue[WorkerBase] = queue.Queue()
        self._lock = threading.Lock()
        self._live: list[WorkerBase] = []
        self._started_count = 0
        self._stopping = False
        self.replacements = 0
        self._start_worker = start_worker or Worker

    @property
    def function_name(self) -> str:
        return self.spec.function_name

    def start(self) -> None:
        """Start every worker without waiting for their init phase (see ``await_ready``)."""
        for _ in range(self.size):
            self._idle.put(self._new_worker())

    def await_ready(self) -> list[tuple[int, float | None, bytes | None]]:
        """Wait for every worker's init; (pid, init ms, init error) per worker."""
        with self._lock:
            workers = list(self._live)
        outcomes = []
        for worker in workers:
            error = worker.await_ready(INIT_TIMEOUT_SECONDS)
            outcomes.append((worker.pid, worker.init_ms, error))
        return outcomes

    def workers(self) -> list[WorkerBase]:
        with self._lock:
            return [worker for worker in self._live if not worker.retired]

    def invoke(self, invocation: Invocation) -> InvokeOutcome:
        worker = self._take_worker()
        healthy = False
        try:
            outcome, healthy = self._run(worker, invocation)
            return outcome
        finally:
            self._give_back(worker, healthy=healthy)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            workers = list(self._live)
        for worker in workers:  # all at once: each idle worker exits on EOF
            worker.retired = True
            worker.connection.close()
        for worker in workers:
            worker.process.join(STOP_GRACE_SECONDS / 4)
            worker.kill()  # one still inside a handler

    # -- internals ---------------------------------------------------------------------------

    def _new_worker(self, *, replacing: bool = False) -> WorkerBase:
        with self._lock:
            self._started_count += 1
            self.replacements += int(replacing)
            worker = self._start_worker(self.spec, number=self._started_count)
            self._live.append(worker)
        return worker

    def _take_worker(self) -> WorkerBase:
        worker = self._idle.get()
        if worker.ready and worker.died_while_idle():
            # Killed while idle (by hand, or by the watchdog): its replacement starts cold now.
            self._retire(worker)
            worker = self._new_worker(replacing=True)
        return worker

    def _give_back(self, worker: WorkerBase, *, healthy: bool) -> None:
        if healthy:
            self._idle.put(worker)
            return
        self._retire(worker)
        if self._stopping:
            return
        replacement = self._new_worker(replacing=True)
        logger.info(
            "%s: worker %d (pid %d) replaced by pid %d", self.function_name, worker.number, worker.pid, replacement.pid
        )
        self._idle.put(replacement)

    def _retire(self, worker: WorkerBase) -> None:
        worker.stop()
        with self._lock:
            if worker in self._live:
                self._live.remove(worker)

    def _run(self, worker: WorkerBase, invocation: Invocation) -> tuple[InvokeOutcome, bool]:
        """The outcome, and whether the worker may serve again."""
        init_error = worker.await_ready(INIT_TIMEOUT_SECONDS)
        if init_error is not None:
            return InvokeOutcome(body=init_error, function_error=protocol.UNHANDLED, error_type="Init"), False
        request_id = invocation.request_id
        timeout = self.spec.timeout_seconds
        try:
            worker.connection.send(invocation)
            if not worker.connection.poll(timeout):
                logger.warning("%s: invocation %s timed out after %d s", self.function_name, request_id, timeout)
                worker.kill()
                body = protocol.timed_out_document(request_id=request_id, timeout_seconds=timeout)
                log = f"{request_id} Task timed out after {timeout:.2f} seconds\n".encode()
                return InvokeOutcome(
                    body=body, function_error=protocol.UNHANDLED, error_type="Sandbox.Timedout", log=log
                ), False
            message = worker.connection.recv()
            # An artifact worker's runtime writes its output to the server's log, not to us: no log.
            log = message[3] if len(message) > 3 else b""
            return InvokeOutcome(body=message[1], function_error=message[2], log=log), True
        except (EOFError, OSError):  # the worker died mid-invocation
            worker.process.join(STOP_GRACE_SECONDS)
            out_of_memory = worker.killed_for_memory_bytes is not None
            logger.warning(
                "%s: worker pid %d died during invocation %s (exit code %s%s)",
                self.function_name,
                worker.pid,
                request_id,
                worker.process.exitcode,
                f", {worker.killed_for_memory_bytes >> 20} MB resident > {self.spec.memory_mb} MB"
                if out_of_memory and worker.killed_for_memory_bytes is not None
                else "",
            )
            body = protocol.exited_document(
                request_id=request_id, exit_code=worker.process.exitcode, out_of_memory=out_of_memory
            )
            error_type = "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError"
            return InvokeOutcome(body=body, function_error=protocol.UNHANDLED, error_type=error_type), False

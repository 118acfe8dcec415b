"""The functions being served: one worker pool each, synchronous and queued (Event) invocations.

Both front doors (the Invoke API and the HTTP routes) invoke through here, so a function is
invoked the same way whichever door a request came in by.

Event invocations are queued per function and run by as many dispatcher threads as the
function has workers; the caller has its 202 already. As in Lambda, the outcome is only in
the function's logs (here: one line on the server's log when an event fails). Unlike Lambda,
a failed event is not retried, and events still queued when the server stops are dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.catalog import ServedFunction
from tools.local_serve.pool import FunctionPool, InvokeOutcome
from tools.local_serve.worker import Invocation, WorkerSpec

logger = logging.getLogger(__name__)


class LocalFunction:
    def __init__(
        self, served: ServedFunction, spec: WorkerSpec, *, workers: int, start_worker: Callable[..., Any] | None = None
    ) -> None:
        self.served = served
        self.pool = FunctionPool(spec, workers=workers, start_worker=start_worker)
        self._events: queue.Queue[Invocation | None] = queue.Queue()  # None: stop
        self._dispatchers = [
            threading.Thread(target=self._dispatch_events, name=f"{served.name}-events-{n}", daemon=True)
            for n in range(workers)
        ]

    @property
    def name(self) -> str:
        return self.served.name

    @property
    def memory_mb(self) -> int:
        return self.served.definition.memory_mb

    @property
    def timeout_seconds(self) -> int:
        return self.served.definition.timeout_seconds

    def start(self) -> None:
        self.pool.start()
        for dispatcher in self._dispatchers:
            dispatcher.start()

    def stop(self) -> int:
        """Stop the workers; the number of queued events dropped."""
        dropped = self._events.qsize()
        for _ in self._dispatchers:
            self._events.put(None)
        self.pool.stop()
        return dropped

    def invocation(self, payload: bytes, *, qualifier: str | None) -> Invocation:
        return Invocation(
            request_id=protocol.new_request_id(),
            payload=payload,
            invoked_function_arn=protocol.function_arn(self.name, qualifier),
            function_version=protocol.LATEST,
        )

    def invoke(self, invocation: Invocation) -> InvokeOutcome:
        return self.pool.invoke(invocation)

    def enqueue(self, invocation: Invocation) -> None:
        self._events.put(invocation)

    def _dispatch_events(self) -> None:
        while (invocation := self._events.get()) is not None:
            try:
                outcome = self.pool.invoke(invocation)
            except Exception:  # a dispatcher must outlive any one event
                logger.exception("%s: event %s could not be run", self.name, invocation.request_id)
                continue
            if outcome.function_error:
                logger.warning(
                    "%s: event %s failed: %s",
                    self.name,
                    invocation.request_id,
                    outcome.body[:300].decode("utf-8", "replace"),
                )


class LocalRuntime:
    """Every served function by name; started and stopped together."""

    def __init__(self, functions: list[LocalFunction]) -> None:
        self._by_name = {function.name: function for function in functions}

    @property
    def functions(self) -> list[LocalFunction]:
        return list(self._by_name.values())

    def get(self, name: str) -> LocalFunction | None:
        return self._by_name.get(name)

    def start(self) -> None:
        for function in self._by_name.values():
            function.start()

    def stop(self) -> int:
        return sum(function.stop() for function in self._by_name.values())

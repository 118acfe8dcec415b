"""The memory watchdog: a worker whose resident memory exceeds its MemorySize is killed.

Why resident memory and not an address-space limit (RLIMIT_AS): Lambda limits the memory a
function actually uses, and that is what it reports ("Max Memory Used"). Address space is
another, larger number: onnxruntime's thread pools and glibc's per-thread malloc arenas reserve
address space they never touch (measured: the sentiment function reserves ~430 MB of address
space for ~80 MB resident), and how much grows with the machine's core count. An RLIMIT_AS
equal to MemorySize would fail functions that fit in Lambda, on bigger machines first, and
would surface as a MemoryError inside the handler instead of Lambda's out-of-memory kill.

The watchdog samples every worker's resident set (Linux: /proc/<pid>/statm) every
``interval_seconds``; a worker found over its limit is killed, and the invocation it was
running fails with Lambda's ``Runtime.OutOfMemory`` (pool.py). Memory allocated and touched
faster than one interval can overshoot the limit briefly; it is never left running.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.local_serve.pool import WorkerBase

logger = logging.getLogger(__name__)

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PROC = Path("/proc")


def resident_bytes(pid: int) -> int | None:
    """The process's resident set size, None when it is gone (or not on Linux)."""
    try:
        fields = (PROC / str(pid) / "statm").read_text().split()
    except OSError:
        return None
    return int(fields[1]) * _PAGE_BYTES


def is_supported() -> bool:
    return (PROC / str(os.getpid()) / "statm").exists()


class MemoryWatchdog:
    """Checks the workers ``workers()`` returns, each against ``limit_mb(worker)``."""

    def __init__(
        self,
        *,
        workers: Callable[[], Iterable[tuple[WorkerBase, int]]],  # (worker, its MemorySize in MB)
        interval_seconds: float = 0.05,
    ) -> None:
        self._workers = workers
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watchdog", daemon=True)

    def start(self) -> None:
        if not is_supported():
            logger.warning("no /proc on this system: MemorySize is not enforced")
            return
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def check_once(self) -> None:
        for worker, limit_mb in self._workers():
            used = resident_bytes(worker.pid)
            # No is_alive() here: it reaps, and the thread waiting on the worker must see its exit code.
            if used is not None and used > limit_mb << 20 and worker.killed_for_memory_bytes is None:
                logger.warning("pid %d uses %d MB resident, over its %d MB: killed", worker.pid, used >> 20, limit_mb)
                worker.killed_for_memory_bytes = used
                worker.process.kill()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.check_once()
            except Exception:  # a worker vanishing mid-check must not end the watchdog
                logger.exception("memory check failed")

"""Percentiles and timing loops; every figure is in milliseconds."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in (0, 1]): a value that was actually measured."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples_ms: Sequence[float]) -> dict[str, float | int]:
    return {
        "runs": len(samples_ms),
        "min_ms": min(samples_ms),
        "median_ms": statistics.median(samples_ms),
        "p50_ms": percentile(samples_ms, 0.50),
        "p99_ms": percentile(samples_ms, 0.99),
        "max_ms": max(samples_ms),
    }


def time_calls(call: Callable[[int], object], *, iterations: int, warmup: int) -> list[float]:
    """Milliseconds of each ``call(i)``; the first ``warmup`` calls are run but not kept."""
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(iterations):
        started = time.perf_counter_ns()
        call(i)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples

"""Cold starts of fresh Python processes: whole-process wall time and in-process time.

The script run in the child must print one JSON line with ``in_process_ms`` (from before its
first import to after its first prediction).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ColdStart:
    wall_ms: float  # process start to exit, as the parent sees it
    in_process_ms: float  # imports + model load + first prediction, as the child sees it


def measure_cold_starts(*, script: str, env: Mapping[str, str], repeats: int) -> list[ColdStart]:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        completed = subprocess.run(
            [
                sys.executable,
                "-B",
                "-c",
                script,
            ],  # -B: write no .pyc, as on Lambda's read-only /var/task
            env=dict(env),
            capture_output=True,
            text=True,
        )
        wall_ms = (time.perf_counter_ns() - started) / 1e6
        if completed.returncode != 0:
            raise RuntimeError(f"cold start script failed:\n{completed.stderr}")
        reported = json.loads(completed.stdout.strip().splitlines()[-1])
        runs.append(ColdStart(wall_ms=wall_ms, in_process_ms=float(reported["in_process_ms"])))
    return runs

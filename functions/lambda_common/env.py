"""Reading a function's environment variables, and the threads its memory size buys.

`EnvReader` collects every problem instead of stopping at the first, so a bad configuration
stops the cold start with one ConfigError naming them all rather than failing later on a
request.
"""

from __future__ import annotations

import math

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Lambda allocates CPU in proportion to memory: one vCPU's worth at 1769 MB, at most 6 vCPUs.
MB_PER_VCPU = 1769
MAX_LAMBDA_VCPUS = 6
# Lambda's synchronous invoke payload limit: no request larger than this can ever arrive.
LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024


class ConfigError(ValueError):
    """The environment does not configure the function correctly; the message lists every problem."""


class EnvReader:
    """Typed reads of `environ`; a bad value is recorded in `problems` and its default returned."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def integer(self, variable: str, default: int | None, *, low: int, high: int) -> int | None:
        raw = self.environ.get(variable, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{variable} must be an integer within {low}..{high}, got {raw!r}")
            return default
        if not low <= value <= high:
            self.problems.append(f"{variable} must be within {low}..{high}, got {value}")
        return value

    def text(self, variable: str, default: str) -> str:
        return self.environ.get(variable, "").strip() or default

    def raise_problems(self, summary: str) -> None:
        """ConfigError("<summary>: problem; problem...") if anything was wrong."""
        if self.problems:
            raise ConfigError(f"{summary}: " + "; ".join(self.problems))


def lambda_vcpus(memory_mb: int) -> int:
    """The vCPUs Lambda gives a function with `memory_mb` of memory: ceil(memory / 1769), 1..6."""
    return max(1, min(MAX_LAMBDA_VCPUS, math.ceil(memory_mb / MB_PER_VCPU)))


def session_threads(*, memory_mb: int | None, cpu_count: int | None, override: int | None = None) -> int:
    """onnxruntime intra-op threads: the override if set, else the vCPUs the memory buys (all
    CPUs when not in Lambda), never more than the CPUs this process can see."""
    if override is not None:
        return override
    available = cpu_count if cpu_count and cpu_count > 0 else 1
    wanted = lambda_vcpus(memory_mb) if memory_mb else available
    return max(1, min(wanted, available))

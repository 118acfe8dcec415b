"""Reading a function's environment variables, and the threads its memory size buys.

`EnvReader` collects every problem instead of stopping at the first, so a bad configuration
stops the cold start with one ConfigError naming them all rather than failing later on a
request.
"""

from __future__ import annotations

import math
import os

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypedDict, TypeVar

    T = TypeVar("T")
    # integer()'s default: an int default makes the result an int, a None default int | None.
    IntDefault = TypeVar("IntDefault", int, None)

    class FunctionIdentity(TypedDict):
        """function_identity(): keyword arguments of every function's config."""

        service_name: str
        metrics_namespace: str
        function_name: str | None
        function_version: str | None


# Set by the InferenceFunction construct (Powertools' names) and by Lambda itself.
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
ENV_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
ENV_FUNCTION_VERSION = "AWS_LAMBDA_FUNCTION_VERSION"
# An optional override of the onnxruntime threads session_threads() computes.
ENV_INTRA_OP_THREADS = "INTRA_OP_THREADS"

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

    def _parsed(
        self, variable: str, default: T, parse: Callable[[str], T], expected: str, *, verb: str = "must be"
    ) -> tuple[T, str | None]:
        """(the value, its raw text), or (default, None) when unset or (a problem) unreadable."""
        raw = self.environ.get(variable, "").strip()
        if not raw:
            return default, None
        try:
            return parse(raw), raw
        except ValueError:
            self.problems.append(f"{variable} {verb} {expected}, got {raw!r}")
            return default, None

    def s3_uri(self, variable: str, parse: Callable[[str], T], example: str) -> tuple[T | None, str]:
        """(the parsed URI or None, its raw text: "" when unset); an unreadable URI is a problem."""
        uri, _ = self._parsed(variable, None, parse, example, verb="must look like")
        return uri, self.environ.get(variable, "").strip()

    def integer(self, variable: str, default: IntDefault, *, low: int, high: int) -> int | IntDefault:
        value, raw = self._parsed(variable, default, int, f"an integer within {low}..{high}")
        if raw is not None and value is not None and not low <= value <= high:
            self.problems.append(f"{variable} must be within {low}..{high}, got {value}")
        return value

    def positive_integer(self, variable: str, default: int) -> int:
        """An integer of at least 1, with no upper bound (the mask predictor's wording)."""
        value, raw = self._parsed(variable, default, int, "a positive integer")
        if raw is not None and value < 1:
            self.problems.append(f"{variable} must be a positive integer, got {value}")
        return value

    def fraction(self, variable: str, default: float) -> float:
        """A number strictly between 0 and 1 (a probability threshold)."""
        value, raw = self._parsed(variable, default, float, "a number strictly between 0 and 1")
        if raw is not None and not 0.0 < value < 1.0:
            self.problems.append(f"{variable} must be strictly between 0 and 1, got {raw}")
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


def configured_threads(env: EnvReader, *, cpu_count: int | None) -> int:
    """session_threads() for this environment: INTRA_OP_THREADS if set, else from the
    function's memory size (`cpu_count` None: this machine's)."""
    memory_mb = env.integer(ENV_MEMORY_SIZE, None, low=128, high=10240)
    override = env.integer(ENV_INTRA_OP_THREADS, None, low=1, high=64)
    return session_threads(
        memory_mb=memory_mb, cpu_count=cpu_count if cpu_count is not None else os.cpu_count(), override=override
    )


def function_identity(env: EnvReader, *, service_name: str, metrics_namespace: str) -> FunctionIdentity:
    """The config fields every function reports in logs and health checks: its Powertools
    service and namespace (defaults given), and its name and version as Lambda sets them."""
    return {
        "service_name": env.text(ENV_SERVICE_NAME, service_name),
        "metrics_namespace": env.text(ENV_METRICS_NAMESPACE, metrics_namespace),
        "function_name": env.environ.get(ENV_FUNCTION_NAME) or None,
        "function_version": env.environ.get(ENV_FUNCTION_VERSION) or None,
    }

"""Logging and counting shared by the image functions (Powertools Logger and Metrics):
failures mapped, logged and counted once, counters, and the timed model load and its log.

Standard library only at import time: the Logger and Metrics are the caller's.
"""

from __future__ import annotations

import time

from lambda_common.errors import ErrorResponse, error_response
from lambda_common.metric_names import INTERNAL_ERRORS, VALIDATION_ERRORS

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol, TypeVar

    class IdentifiedModel(Protocol):
        """A loaded model that says which model it is (its health check's `model`)."""

        @property
        def identity(self) -> Any: ...  # has as_dict()

    Model = TypeVar("Model", bound=IdentifiedModel)


class Telemetry:
    """A function's Powertools `logger` and `metrics`, with the few calls every handler makes."""

    def __init__(self, logger: Any, metrics: Any) -> None:
        self.logger = logger
        self.metrics = metrics

    @classmethod
    def powertools(cls, config: Any) -> Telemetry:
        """A Powertools Logger and Metrics for the function's `config` (its service_name and
        metrics_namespace), imported here: lambda_common stays importable without Powertools."""
        from aws_lambda_powertools import Logger, Metrics

        return cls(
            Logger(service=config.service_name),
            Metrics(namespace=config.metrics_namespace, service=config.service_name),
        )

    def count(self, name: str, value: float = 1, *, unit: str = "Count") -> None:
        self.metrics.add_metric(name=name, unit=unit, value=value)

    def count_all(self, counts: dict[str, float]) -> None:
        for name, value in counts.items():
            self.count(name, value)

    def failure(self, error: BaseException, context: Any) -> ErrorResponse:
        """Every error of every transport goes through here: mapped, logged and counted once."""
        failure = error_response(error, request_id=getattr(context, "aws_request_id", None))
        if failure.is_internal:
            self.logger.exception("internal error")
            self.count(INTERNAL_ERRORS)
        else:
            self.logger.info("request rejected", extra={"status_code": failure.status_code, **failure.body})
            self.count(VALIDATION_ERRORS)
        return failure

    def load_model(self, load: Callable[[], Model], **extra: Any) -> Model:
        """The init phase's model: `load()` (finding it included: a download counts), then the
        "model loaded" log line with its identity, `extra`, and `load_ms`."""
        started = time.perf_counter()
        model = load()
        fields = {"model": model.identity.as_dict(), **extra}
        self.logger.info("model loaded", extra={**fields, "load_ms": round((time.perf_counter() - started) * 1000, 1)})
        return model

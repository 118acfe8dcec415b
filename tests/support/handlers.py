"""Importing a function's handler as Lambda would: its module run (its cold start) under the
function's environment, so module-level configuration and models see that environment."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, TypeVar

import pytest

from tools.local_lambda import LocalLambdaContext

T = TypeVar("T")


def import_handler(module: str, environment: Mapping[str, str] = {}, unset: Iterable[str] = ()) -> ModuleType:  # noqa: B006 (read only)
    """`module` (e.g. "sentiment.handler") imported with `environment` set and `unset` removed,
    both only while it imports; reloaded if it was imported before (maybe under another
    environment), so its cold start runs again under this one."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        for name in unset:
            patch.delenv(name, raising=False)
        if module in sys.modules:
            return importlib.reload(sys.modules[module])
        return importlib.import_module(module)


def runtime_environment(*, service: str, function_name: str, memory_mb: int | None = None) -> dict[str, str]:
    """What every function's environment holds besides its own settings: Powertools' service
    and the project's metrics namespace (set by the function's construct), and the function's
    name, version ($LATEST) and memory size (set by Lambda; None: not set)."""
    environment = {
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }
    if memory_mb is not None:
        environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(memory_mb)
    return environment


def lambda_context(
    function_name: str, *, memory_mb: int, timeout_s: int, version: str, qualifier: str | None = None
) -> LocalLambdaContext:
    """The context Lambda passes a function invoked by its `qualifier` (its version by default)."""
    return LocalLambdaContext(
        function_name=function_name,
        memory_limit_in_mb=memory_mb,
        timeout_seconds=timeout_s,
        function_version=version,
        invoked_function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}:{qualifier or version}",
    )


def internal_error_body(context: LocalLambdaContext) -> dict[str, str]:
    """The body of every 500: no details, only the request id the logs can be searched for."""
    return {"error": "internal error", "error_type": "InternalError", "request_id": context.aws_request_id}


def logged_internal_error(caplog: pytest.LogCaptureFixture) -> BaseException:
    """The exception behind the one "internal error" logged, at ERROR and with its traceback."""
    (record,) = [r for r in caplog.records if r.getMessage() == "internal error"]
    assert record.levelname == "ERROR" and record.exc_info is not None
    return record.exc_info[1]


def fail_with(monkeypatch: pytest.MonkeyPatch, target: object, name: str, error: BaseException) -> None:
    """Make `target.name` raise `error` whatever it is called with, for the rest of the test."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(target, name, fail)


def swapped(monkeypatch: pytest.MonkeyPatch, target: object, name: str, wrap: Callable[[Any], T]) -> T:
    """Replace `target.name` by `wrap(target.name)` (a spy or recorder around the real one) for
    the rest of the test; the replacement."""
    replacement = wrap(getattr(target, name))
    monkeypatch.setattr(target, name, replacement)
    return replacement

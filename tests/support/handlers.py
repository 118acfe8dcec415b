"""Importing a function's handler as Lambda would: its module run (its cold start) under the
function's environment, so module-level configuration and models see that environment."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType

import pytest

from tools.local_lambda import LocalLambdaContext


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

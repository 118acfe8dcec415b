"""What the functions' configuration tests share: a cold start reads the whole environment and
raises one ConfigError that names every problem, so that one deploy can fix them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from lambda_common.env import ConfigError


def cold_start_error(from_environ: Callable[..., object], environment: Mapping[str, str], **options: Any) -> str:
    """The message of the ConfigError that `from_environ(environment, **options)` raises
    (a FunctionConfig.from_environ; `options`: cpu_count...)."""
    with pytest.raises(ConfigError) as raised:
        from_environ(environment, **options)
    return str(raised.value)


def assert_names_every_problem(message: str, problems: Iterable[str]) -> None:
    """Each of `problems` stands in `message`."""
    unnamed = [problem for problem in problems if problem not in message]
    assert not unnamed, f"{message!r} does not name {unnamed}"

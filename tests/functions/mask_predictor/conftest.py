"""Fixtures for the mask predictor function: the handler imported as Lambda would, events, context."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from mask_predictor.predictor import MaskPredictor
from tests.support.handlers import import_handler
from tests.support.mask_predictor import EVENTS_DIR, FUNCTION_ENVIRONMENT, MODEL_DIR, mask_context
from tests.support.metrics import emf_records
from tools.local_lambda import LocalLambdaContext


@pytest.fixture(scope="session")
def handler() -> ModuleType:
    """`mask_predictor.handler`, imported (its cold start run) under the function's environment."""
    return import_handler("mask_predictor.handler", FUNCTION_ENVIRONMENT, unset=("LOG_LEVEL",))


@pytest.fixture(scope="session")
def predictor() -> MaskPredictor:
    return MaskPredictor.from_directory(MODEL_DIR)


@pytest.fixture
def context() -> LocalLambdaContext:
    return mask_context()


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    def load(file_name: str) -> dict[str, Any]:
        return json.loads((EVENTS_DIR / file_name).read_text(encoding="utf-8"))

    return load


@pytest.fixture
def emf_lines(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """The EMF records written to stdout so far (every stdout line of the function is one)."""

    def read() -> list[dict[str, Any]]:
        return emf_records(capsys.readouterr().out)

    return read

"""Fixtures for the sentiment function: the committed fixture model, the handler imported as
Lambda would import it, a Lambda context, Function URL events, and the metrics it prints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sentiment.inference import SentimentModel
from tests.support import sentiment as support
from tests.support.events import function_url_event
from tests.support.handlers import import_handler, lambda_context
from tools.local_lambda import LocalLambdaContext


def _built(model_dir: Path) -> Path:
    if not (model_dir / "model.json").is_file():
        pytest.fail(f"no fixture model in {model_dir}; run `python -m training.sentiment.build_fixture`")
    return model_dir


@pytest.fixture(scope="session")
def fixture_model_dir() -> Path:
    return _built(support.FIXTURE_MODEL_DIR)


@pytest.fixture(scope="session")
def fixture_fp32_model_dir() -> Path:
    return _built(support.FIXTURE_FP32_MODEL_DIR)


@pytest.fixture(scope="session")
def model(fixture_model_dir: Path) -> SentimentModel:
    """The int8 fixture model, batches of 4 so that a few dozen texts make several batches."""
    return SentimentModel.load(fixture_model_dir, intra_op_threads=1, batch_size=4)


@pytest.fixture(scope="session")
def fp32_model(fixture_fp32_model_dir: Path) -> SentimentModel:
    return SentimentModel.load(fixture_fp32_model_dir, intra_op_threads=1, batch_size=4)


@pytest.fixture(scope="session")
def handler(fixture_model_dir: Path) -> ModuleType:
    """`sentiment.handler`, imported (its cold start run) under the function's environment."""
    return import_handler("sentiment.handler", support.FUNCTION_ENVIRONMENT, support.UNSET_VARIABLES)


@pytest.fixture
def context() -> LocalLambdaContext:
    return lambda_context(support.FUNCTION_NAME, memory_mb=2048, timeout_s=60, version="3")


@pytest.fixture
def url_event() -> Callable[..., dict[str, Any]]:
    return function_url_event

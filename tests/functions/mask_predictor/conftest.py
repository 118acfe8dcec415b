"""Fixtures for the mask predictor function: the handler imported as Lambda would, events, context."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mask_predictor.predictor import MaskPredictor
from tools.local_lambda import LocalLambdaContext

REPO_ROOT = Path(__file__).resolve().parents[3]
MODEL_DIR = REPO_ROOT / "functions" / "mask_predictor" / "model"
EVENTS_DIR = Path(__file__).resolve().parent / "events"

# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_DIR": str(MODEL_DIR),
    "POWERTOOLS_SERVICE_NAME": "mask_predictor",
    "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
    "MAX_BATCH_NAMES": "1000",
    "MAX_NAME_CHARS": "200",
    "MAX_REQUEST_BYTES": "262144",
    "AWS_LAMBDA_FUNCTION_NAME": "mask-predictor-test",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
}


@pytest.fixture(scope="session")
def handler() -> ModuleType:
    """`mask_predictor.handler`, imported (its cold start run) under the function's environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FUNCTION_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("LOG_LEVEL", raising=False)
        if "mask_predictor.handler" in sys.modules:  # imported elsewhere, maybe with another env
            return importlib.reload(sys.modules["mask_predictor.handler"])
        return importlib.import_module("mask_predictor.handler")


@pytest.fixture(scope="session")
def predictor() -> MaskPredictor:
    return MaskPredictor.from_directory(MODEL_DIR)


def lambda_context() -> LocalLambdaContext:
    """The context Lambda would pass this function (version 7, 512 MB, 30 s)."""
    return LocalLambdaContext(
        function_name="mask-predictor-test",
        memory_limit_in_mb=512,
        timeout_seconds=30,
        function_version="7",
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:mask-predictor-test:7",
    )


@pytest.fixture
def context() -> LocalLambdaContext:
    return lambda_context()


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    def load(file_name: str) -> dict[str, Any]:
        return json.loads((EVENTS_DIR / file_name).read_text(encoding="utf-8"))

    return load


@pytest.fixture
def emf_lines(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """The EMF records written to stdout so far (every stdout line of the function is one)."""

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]

    return read

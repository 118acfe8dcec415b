"""Fixtures for the checkbox function: the committed fixture models, the handler imported as
Lambda would import it, a Lambda context, API Gateway REST proxy events (payload 1.0, the
shape AWS documents, as the API's stage `v1` with an API key delivers them), multipart
bodies, test images, and the metrics the handler prints."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from checkbox.detector import Detector
from tests.support import checkbox as support
from tests.support.events import rest_event
from tests.support.handlers import import_handler, lambda_context, swapped
from tools.local_lambda import LocalLambdaContext


@pytest.fixture(scope="session")
def handler() -> ModuleType:
    """`checkbox.handler`, imported (its cold start run) under the function's environment."""
    return import_handler("checkbox.handler", support.FUNCTION_ENVIRONMENT, support.UNSET_VARIABLES)


@pytest.fixture(scope="session")
def known_v8() -> Detector:
    return Detector.load(support.KNOWN_V8_MODEL, intra_op_threads=1)


@pytest.fixture(scope="session")
def known_v5() -> Detector:
    return Detector.load(support.KNOWN_V5_MODEL, intra_op_threads=1)


@pytest.fixture(scope="session")
def known_rect() -> Detector:
    return Detector.load(support.KNOWN_RECT_MODEL, intra_op_threads=1)


@pytest.fixture
def known_handler(handler: ModuleType, known_v8: Detector, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler with the known-output model: its detections can be predicted exactly."""
    monkeypatch.setattr(handler, "DETECTOR", known_v8)
    return handler


@pytest.fixture
def context() -> LocalLambdaContext:
    return lambda_context(support.FUNCTION_NAME, memory_mb=3008, timeout_s=29, version="7", qualifier="live")


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    return rest_event


@pytest.fixture
def detector_spy(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> support.DetectorSpy:
    return swapped(monkeypatch, handler, "DETECTOR", support.DetectorSpy)

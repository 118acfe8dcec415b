"""Fixtures: local Lambda Invoke APIs serving the REAL mask predictor and sentiment handlers.

Tests drive an unmodified boto3 Lambda client (dummy credentials, us-east-1) over HTTP, so
everything between the client and the handler is what production uses, except the network.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from clients.mask_predictor import MaskPredictorClient
from clients.sentiment import SentimentClient, SentimentClientConfig
from tests.support import sentiment as sentiment_function
from tests.support.client_servers import MASK_FUNCTION_NAME, SENTIMENT_FUNCTION_NAME, invoke_api_fixtures
from tests.support.handlers import import_handler
from tests.support.lambda_invoke_server import LambdaInvokeServer
from tests.support.mask_predictor import MODEL_DIR
from training.mask_predictor.dataset import DEFAULT_DATA_PATH, load_labelled_names


@pytest.fixture(scope="session")
def mask_handler() -> Iterator[Callable[[Any, Any], Any]]:
    """The real, unmodified handler, imported with MODEL_DIR set as its construct sets it."""
    if not (MODEL_DIR / "model.json").exists():
        pytest.fail(f"no trained model in {MODEL_DIR}; run `python -m training.mask_predictor.train` first")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_DIR", str(MODEL_DIR))
        yield importlib.import_module("mask_predictor.handler").lambda_handler


# invoke_server, server, lambda_client: the mask predictor behind the session's Invoke API.
invoke_server, server, lambda_client = invoke_api_fixtures("", MASK_FUNCTION_NAME, "mask_handler")


@pytest.fixture
def make_client(lambda_client: Any, server: LambdaInvokeServer) -> Callable[..., MaskPredictorClient]:
    """Clients of the shared server; requesting one also resets the server's request log."""

    def make(**overrides: Any) -> MaskPredictorClient:
        arguments: dict[str, Any] = {"function_name": MASK_FUNCTION_NAME, "lambda_client": lambda_client}
        return MaskPredictorClient(**(arguments | overrides))

    return make


@pytest.fixture
def client(make_client: Callable[..., MaskPredictorClient]) -> MaskPredictorClient:
    return make_client()


@pytest.fixture(scope="session")
def real_mask_names() -> list[str]:
    """Distinct product names from the training data, in file order (the loader refuses duplicates)."""
    return [labelled.name for labelled in load_labelled_names(DEFAULT_DATA_PATH)]


# --- sentiment -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sentiment_handler() -> Callable[[Any, Any], Any]:
    """The real, unmodified sentiment handler on the committed fixture model (int8), under the
    function's environment as tests/functions/sentiment imports it (tests/support/sentiment.py),
    so whichever suite imports the handler first, both see one model."""
    if not (sentiment_function.FIXTURE_MODEL_DIR / "model.json").exists():
        pytest.fail(
            f"no fixture model in {sentiment_function.FIXTURE_MODEL_DIR}; run `python -m training.sentiment.build_fixture`"
        )
    module = sys.modules.get("sentiment.handler")
    if module is not None and module.CONFIG.model_dir == sentiment_function.FIXTURE_MODEL_DIR:
        return module.lambda_handler  # already imported with this model (by the function tests)
    return import_handler(
        "sentiment.handler", sentiment_function.FUNCTION_ENVIRONMENT, sentiment_function.UNSET_VARIABLES
    ).lambda_handler


# sentiment_invoke_server, sentiment_server, sentiment_lambda_client: the sentiment function's.
sentiment_invoke_server, sentiment_server, sentiment_lambda_client = invoke_api_fixtures(
    "sentiment_", SENTIMENT_FUNCTION_NAME, "sentiment_handler", memory_limit_in_mb=2048, timeout_seconds=60
)


@pytest.fixture
def make_sentiment_client(
    sentiment_lambda_client: Any, sentiment_server: LambdaInvokeServer
) -> Callable[..., SentimentClient]:
    """``make(**config_overrides, lambda_client=..., fallback=..., logger=...)``: a client of the
    shared sentiment server (enabled, function "sentiment-test" unless overridden)."""

    def make(
        *, lambda_client: Any = None, fallback: Any = None, logger: Any = None, **overrides: Any
    ) -> SentimentClient:
        config = SentimentClientConfig(**({"enabled": True, "function_name": SENTIMENT_FUNCTION_NAME} | overrides))
        return SentimentClient(
            config,
            lambda_client=lambda_client if lambda_client is not None else sentiment_lambda_client,
            fallback=fallback,
            logger=logger,
        )

    return make

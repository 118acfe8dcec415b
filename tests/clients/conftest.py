"""Fixtures: local Lambda Invoke APIs serving the REAL mask predictor and sentiment handlers.

Tests drive an unmodified boto3 Lambda client (dummy credentials, us-east-1) over HTTP, so
everything between the client and the handler is what production uses, except the network.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from clients.lambda_invoke import create_lambda_client
from clients.mask_predictor import MaskPredictorClient
from clients.sentiment import SentimentClient, SentimentClientConfig
from tests.support.lambda_invoke_server import LambdaInvokeServer

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO_ROOT / "functions" / "mask_predictor" / "model"
TRAINING_DATA = REPO_ROOT / "training" / "mask_predictor" / "data" / "masks.tsv"
FUNCTION_NAME = "mask-predictor-test"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def mask_handler() -> Iterator[Callable[[Any, Any], Any]]:
    """The real, unmodified handler, imported with MODEL_DIR set as its construct sets it."""
    if not (MODEL_DIR / "model.json").exists():
        pytest.fail(
            f"no trained model in {MODEL_DIR}; run `python -m training.mask_predictor.train` first"
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_DIR", str(MODEL_DIR))
        yield importlib.import_module("mask_predictor.handler").lambda_handler


@pytest.fixture(scope="session")
def invoke_server(mask_handler: Callable[[Any, Any], Any]) -> Iterator[LambdaInvokeServer]:
    with LambdaInvokeServer(region_name=REGION) as server:
        server.register(FUNCTION_NAME, mask_handler)
        yield server


@pytest.fixture
def server(invoke_server: LambdaInvokeServer) -> Iterator[LambdaInvokeServer]:
    """The shared server with an empty request log and no throttling left from another test."""
    invoke_server.clear_invocations()
    invoke_server.throttle_next(0)
    yield invoke_server
    invoke_server.throttle_next(0)


@pytest.fixture(scope="session")
def lambda_client(invoke_server: LambdaInvokeServer) -> Any:
    """A real boto3 Lambda client, configured as the client's default one, aimed at the server."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return create_lambda_client(session=session, endpoint_url=invoke_server.endpoint_url)


@pytest.fixture
def make_client(
    lambda_client: Any, server: LambdaInvokeServer
) -> Callable[..., MaskPredictorClient]:
    """Clients of the shared server; requesting one also resets the server's request log."""

    def make(**overrides: Any) -> MaskPredictorClient:
        arguments: dict[str, Any] = {"function_name": FUNCTION_NAME, "lambda_client": lambda_client}
        return MaskPredictorClient(**(arguments | overrides))

    return make


@pytest.fixture
def client(make_client: Callable[..., MaskPredictorClient]) -> MaskPredictorClient:
    return make_client()


@pytest.fixture(scope="session")
def real_mask_names() -> list[str]:
    """Distinct product names from the training data (first column; '#' lines are comments)."""
    names: dict[str, None] = {}
    for line in TRAINING_DATA.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            names[line.split("\t", 1)[0]] = None
    return list(names)


# --- sentiment -------------------------------------------------------------------------------

SENTIMENT_MODEL_DIR = REPO_ROOT / "fixtures" / "sentiment" / "model"
SENTIMENT_FUNCTION_NAME = "sentiment-test"
# The function's environment as its stack sets it, limits at their defaults (the same as
# tests/functions/sentiment's, so whichever suite imports the handler first, both see one model).
SENTIMENT_ENVIRONMENT = {
    "MODEL_DIR": str(SENTIMENT_MODEL_DIR),
    "POWERTOOLS_SERVICE_NAME": "sentiment",
    "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
    "AWS_LAMBDA_FUNCTION_NAME": SENTIMENT_FUNCTION_NAME,
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048",
}
SENTIMENT_UNSET_VARIABLES = (
    "MODEL_S3_URI", "MAX_TEXTS", "MAX_TEXT_CHARS", "MAX_REQUEST_BYTES", "BATCH_SIZE", "INTRA_OP_THREADS",
    "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV",
)  # fmt: skip


@pytest.fixture(scope="session")
def sentiment_handler() -> Callable[[Any, Any], Any]:
    """The real, unmodified sentiment handler on the committed fixture model (int8)."""
    if not (SENTIMENT_MODEL_DIR / "model.json").exists():
        pytest.fail(
            f"no fixture model in {SENTIMENT_MODEL_DIR}; run `python -m training.sentiment.build_fixture`"
        )
    module = sys.modules.get("sentiment.handler")
    if module is not None and module.CONFIG.model_dir == SENTIMENT_MODEL_DIR:
        return module.lambda_handler  # already imported with this model (by the function tests)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SENTIMENT_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in SENTIMENT_UNSET_VARIABLES:
            patch.delenv(name, raising=False)
        if module is not None:
            module = importlib.reload(module)
        else:
            module = importlib.import_module("sentiment.handler")
    return module.lambda_handler


@pytest.fixture(scope="session")
def sentiment_invoke_server(
    sentiment_handler: Callable[[Any, Any], Any],
) -> Iterator[LambdaInvokeServer]:
    with LambdaInvokeServer(region_name=REGION) as server:
        server.register(SENTIMENT_FUNCTION_NAME, sentiment_handler, memory_limit_in_mb=2048, timeout_seconds=60)
        yield server


@pytest.fixture
def sentiment_server(sentiment_invoke_server: LambdaInvokeServer) -> Iterator[LambdaInvokeServer]:
    """The shared sentiment server with an empty request log and no throttling left over."""
    sentiment_invoke_server.clear_invocations()
    sentiment_invoke_server.throttle_next(0)
    yield sentiment_invoke_server
    sentiment_invoke_server.throttle_next(0)


def lambda_client_for(server: LambdaInvokeServer, **options: Any) -> Any:
    """A real boto3 Lambda client as the clients build it by default, aimed at ``server``."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return create_lambda_client(session=session, endpoint_url=server.endpoint_url, **options)


@pytest.fixture(scope="session")
def sentiment_lambda_client(sentiment_invoke_server: LambdaInvokeServer) -> Any:
    return lambda_client_for(sentiment_invoke_server)


@pytest.fixture
def make_sentiment_client(
    sentiment_lambda_client: Any, sentiment_server: LambdaInvokeServer
) -> Callable[..., SentimentClient]:
    """``make(**config_overrides, lambda_client=..., fallback=..., logger=...)``: a client of the
    shared sentiment server (enabled, function "sentiment-test" unless overridden)."""

    def make(
        *, lambda_client: Any = None, fallback: Any = None, logger: Any = None, **overrides: Any
    ) -> SentimentClient:
        config = SentimentClientConfig(
            **({"enabled": True, "function_name": SENTIMENT_FUNCTION_NAME} | overrides)
        )
        return SentimentClient(
            config,
            lambda_client=lambda_client if lambda_client is not None else sentiment_lambda_client,
            fallback=fallback,
            logger=logger,
        )

    return make

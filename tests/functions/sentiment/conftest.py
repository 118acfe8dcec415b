"""Fixtures for the sentiment function: the committed fixture model, the handler imported as
Lambda would import it, a Lambda context, Function URL events, and the metrics it prints."""

from __future__ import annotations

import base64
import importlib
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sentiment.inference import SentimentModel
from tools.local_lambda import LocalLambdaContext

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURE_MODEL_DIR = REPO_ROOT / "fixtures" / "sentiment" / "model"  # int8, as the image ships by default
FIXTURE_FP32_MODEL_DIR = REPO_ROOT / "fixtures" / "sentiment" / "model-fp32"  # the same weights, fp32
FUNCTION_DIR = REPO_ROOT / "functions" / "sentiment"
FUNCTION_NAME = "sentiment-test"

# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_DIR": str(FIXTURE_MODEL_DIR),
    "POWERTOOLS_SERVICE_NAME": "sentiment",
    "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
    "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048",
}
# Read by the function: must not leak in from the developer's shell.
UNSET_VARIABLES = (
    "MODEL_S3_URI", "MAX_TEXTS", "MAX_TEXT_CHARS", "MAX_REQUEST_BYTES", "BATCH_SIZE", "INTRA_OP_THREADS",
    "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV",
)  # fmt: skip


@pytest.fixture(scope="session")
def fixture_model_dir() -> Path:
    if not (FIXTURE_MODEL_DIR / "model.json").is_file():
        pytest.fail(f"no fixture model in {FIXTURE_MODEL_DIR}; run `python -m training.sentiment.build_fixture`")
    return FIXTURE_MODEL_DIR


@pytest.fixture(scope="session")
def fixture_fp32_model_dir() -> Path:
    if not (FIXTURE_FP32_MODEL_DIR / "model.json").is_file():
        pytest.fail(f"no fixture model in {FIXTURE_FP32_MODEL_DIR}; run `python -m training.sentiment.build_fixture`")
    return FIXTURE_FP32_MODEL_DIR


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
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FUNCTION_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in UNSET_VARIABLES:
            patch.delenv(name, raising=False)
        if "sentiment.handler" in sys.modules:  # imported elsewhere, maybe with another env
            return importlib.reload(sys.modules["sentiment.handler"])
        return importlib.import_module("sentiment.handler")


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext(
        function_name=FUNCTION_NAME,
        memory_limit_in_mb=2048,
        timeout_seconds=60,
        function_version="3",
        invoked_function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}:3",
    )


def function_url_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    *,
    base64_encoded: bool = False,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0) as Lambda delivers it."""
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii") if base64_encoded else body.decode("utf-8")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": content_type,
            "host": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "user-agent": "python-requests/2.32",
            "x-amzn-trace-id": "Root=1-65f0c0de-0123456789abcdef01234567",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "authorizer": {"iam": {"accessKey": "AKIAEXAMPLE", "accountId": "123456789012",
                                   "callerId": "AIDAEXAMPLE", "userArn": "arn:aws:iam::123456789012:user/backend",
                                   "userId": "AIDAEXAMPLE"}},
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": "python-requests/2.32"},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795492800000,
        },
        "isBase64Encoded": base64_encoded,
    }
    if body is not None:
        event["body"] = body
    return event


@pytest.fixture
def url_event() -> Callable[..., dict[str, Any]]:
    return function_url_event


def emitted_metrics(stdout: str) -> dict[str, dict[str, Any]]:
    """The EMF metrics printed on stdout: metric name -> {"value", "dimensions", "namespace", ...}."""
    found: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            for metric in directive["Metrics"]:
                found[metric["Name"]] = {
                    "value": document[metric["Name"]],
                    "unit": metric["Unit"],
                    "namespace": directive["Namespace"],
                    "dimensions": dimensions,
                }
    return found

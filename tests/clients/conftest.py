"""Fixtures: a local Lambda Invoke API serving the REAL mask predictor handler, and clients of it.

Tests drive an unmodified boto3 Lambda client (dummy credentials, us-east-1) over HTTP, so
everything between the client and the handler is what production uses, except the network.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from clients.lambda_invoke import create_lambda_client
from clients.mask_predictor import MaskPredictorClient
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

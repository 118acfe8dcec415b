"""What the client tier's tests share: the names the in-process Invoke API
(tests/support/lambda_invoke_server.py) serves the real handlers under, boto3 Lambda clients
aimed at it as the clients build theirs by default, a server reset between tests, and the
fixtures that put the three together for one handler."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from clients.lambda_invoke import create_lambda_client
from tests.support.lambda_invoke_server import REGION, LambdaInvokeServer
from tests.support.sentiment import FUNCTION_NAME as SENTIMENT_FUNCTION_NAME  # its environment's name

__all__ = [
    "MASK_FUNCTION_NAME",
    "REGION",
    "SENTIMENT_FUNCTION_NAME",
    "fresh",
    "invoke_api_fixtures",
    "lambda_client_at",
    "lambda_client_for",
    "serving",
]

MASK_FUNCTION_NAME = "mask-predictor-test"

Handler = Callable[[Any, Any], Any]


def lambda_client_at(endpoint_url: str, **options: Any) -> Any:
    """A real boto3 Lambda client as the clients build it by default (dummy credentials, this
    tier's region), aimed at ``endpoint_url``; ``options`` as create_lambda_client takes them."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return create_lambda_client(session=session, endpoint_url=endpoint_url, **options)


def lambda_client_for(server: LambdaInvokeServer, **options: Any) -> Any:
    """A real boto3 Lambda client as the clients build it by default, aimed at ``server``."""
    return lambda_client_at(server.endpoint_url, **options)


@contextmanager
def serving(function_name: str, handler: Handler, **options: Any) -> Iterator[LambdaInvokeServer]:
    """An Invoke API in this tier's region serving ``handler`` as ``function_name`` (``options``:
    memory_limit_in_mb, timeout_seconds... as LambdaInvokeServer.register takes them)."""
    with LambdaInvokeServer(region_name=REGION) as server:
        server.register(function_name, handler, **options)
        yield server


@contextmanager
def fresh(server: LambdaInvokeServer) -> Iterator[LambdaInvokeServer]:
    """``server`` with an empty request log and no throttling left from another test."""
    server.clear_invocations()
    server.throttle_next(0)
    yield server
    server.throttle_next(0)


def invoke_api_fixtures(prefix: str, function_name: str, handler_fixture: str, **options: Any) -> tuple[Any, Any, Any]:
    """The fixtures of one handler behind an Invoke API, for a conftest to bind:

    - ``<prefix>invoke_server``: the session's server, serving as ``function_name`` the handler
      that the fixture ``handler_fixture`` gives (``options`` as `serving` takes them);
    - ``<prefix>server``: that server, `fresh` for each test that requests it;
    - ``<prefix>lambda_client``: a session boto3 client aimed at it, built as the clients build theirs.
    """

    @pytest.fixture(scope="session", name=f"{prefix}invoke_server")
    def invoke_server(request: pytest.FixtureRequest) -> Iterator[LambdaInvokeServer]:
        with serving(function_name, request.getfixturevalue(handler_fixture), **options) as server:
            yield server

    @pytest.fixture(name=f"{prefix}server")
    def server(request: pytest.FixtureRequest) -> Iterator[LambdaInvokeServer]:
        with fresh(request.getfixturevalue(f"{prefix}invoke_server")) as server:
            yield server

    @pytest.fixture(scope="session", name=f"{prefix}lambda_client")
    def lambda_client(request: pytest.FixtureRequest) -> Any:
        return lambda_client_for(request.getfixturevalue(f"{prefix}invoke_server"))

    return invoke_server, server, lambda_client

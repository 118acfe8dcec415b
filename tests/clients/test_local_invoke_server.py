"""The local Invoke API answers as Lambda does, as far as an unmodified boto3 client can tell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.lambda_invoke_server import REQUEST_LIMIT_BYTES, LambdaInvokeServer


def echo(event: Any, context: Any) -> Any:
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("unserializable"):
        return {"value": object()}
    return {
        "event": event,
        "function_name": context.function_name,
        "version": context.function_version,
    }


@pytest.fixture(scope="module")
def echo_server() -> Iterator[LambdaInvokeServer]:
    with LambdaInvokeServer() as server:
        server.register("echo", echo, qualifiers=("$LATEST", "1", "live"))
        yield server


@pytest.fixture(scope="module")
def lambda_client(echo_server: LambdaInvokeServer) -> Any:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client(
        "lambda",
        endpoint_url=echo_server.endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture(autouse=True)
def empty_request_log(echo_server: LambdaInvokeServer) -> None:
    echo_server.clear_invocations()
    echo_server.throttle_next(0)


def test_request_response_returns_the_handler_json(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="echo", Qualifier="1", Payload=b'{"name": "Dr\xc3\xa4ger"}')

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "1"
    assert json.loads(response["Payload"].read()) == {
        "event": {"name": "Dräger"},
        "function_name": "echo",
        "version": "1",
    }


def test_a_function_arn_is_accepted_as_the_name(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:echo:live")

    assert response["StatusCode"] == 200


def test_event_invocations_are_accepted_with_202(lambda_client: Any, echo_server: LambdaInvokeServer) -> None:
    response = lambda_client.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")

    assert response["StatusCode"] == 202
    assert echo_server.invocations[0].invocation_type == "Event"


@pytest.mark.parametrize(("function_name", "qualifier"), [("missing", None), ("echo", "2")])
def test_an_unknown_function_or_version_is_resource_not_found(
    lambda_client: Any, function_name: str, qualifier: str | None
) -> None:
    arguments = {"FunctionName": function_name} | ({"Qualifier": qualifier} if qualifier else {})

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.invoke(**arguments)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert raised.value.response["Error"]["Message"].startswith("Function not found: arn:aws:lambda:us-east-1:")


def test_a_raising_handler_is_an_unhandled_function_error(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="echo", Payload=b'{"fail": true}')

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "asked to fail")


def test_an_unserializable_result_is_a_marshal_error(lambda_client: Any) -> None:
    response = lambda_client.invoke(FunctionName="echo", Payload=b'{"unserializable": true}')

    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.MarshalError"


def test_a_request_over_6_mb_is_refused_with_413(lambda_client: Any) -> None:
    payload = json.dumps({"padding": "x" * REQUEST_LIMIT_BYTES}).encode()

    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName="echo", Payload=payload)

    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_response_over_6_mb_is_a_function_error(echo_server: LambdaInvokeServer, lambda_client: Any) -> None:
    echo_server.register("big", lambda event, context: "x" * 7_000_000)

    response = lambda_client.invoke(FunctionName="big")

    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


def test_throttling_answers_429_too_many_requests(echo_server: LambdaInvokeServer, lambda_client: Any) -> None:
    echo_server.throttle_next(1)

    with pytest.raises(lambda_client.exceptions.TooManyRequestsException) as raised:
        lambda_client.invoke(FunctionName="echo")
    second = lambda_client.invoke(FunctionName="echo")

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert second["StatusCode"] == 200


def test_a_body_that_is_not_json_is_invalid_request_content(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName="echo", Payload=b"{not json")

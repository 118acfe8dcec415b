"""Lambda Function URL requests (payload format 2.0), from full documented event fixtures."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from mask_predictor.scheme import LABELS
from tools.local_lambda import LocalLambdaContext

LoadEvent = Callable[[str], dict[str, Any]]
Answer = Callable[[str, int], Any]


def body_of(response: dict[str, Any]) -> Any:
    assert response["headers"]["content-type"] == "application/json"
    assert isinstance(response["body"], str), "Function URL bodies are strings"
    return json.loads(response["body"])


@pytest.fixture
def answer(handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext) -> Answer:
    """The JSON body of the response to the event file `name`, after checking its status code."""

    def call(name: str, status: int) -> Any:
        response = handler.lambda_handler(load_event(name), context)
        assert response["statusCode"] == status
        return body_of(response)

    return call


def test_get_health_is_200_with_model_identity(
    handler: ModuleType, context: LocalLambdaContext, answer: Answer
) -> None:
    health = answer("function_url_get_health.json", 200)
    assert health["status"] == "ok"
    assert health["function_name"] == context.function_name
    assert health["model"] == handler.PREDICTOR.identity


def test_post_root_with_one_name(answer: Answer) -> None:
    result = answer("function_url_post_root_single.json", 200)
    assert result["mask_name"] == "3M Aura 9205+ N95"
    assert result["breakdown"][0] == {"3M": "brand"}
    assert list(result["components"]) == list(LABELS)


def test_post_predict_with_a_batch(handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext) -> None:
    event = load_event("function_url_post_predict_batch.json")
    names = json.loads(event["body"])["mask_names"]

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 200
    answer = body_of(response)
    assert answer["count"] == 3
    assert [r["mask_name"] for r in answer["results"]] == names
    assert answer["results"][2]["tokens"] == ["BNX", "H95", "Black", "Medium"]


def test_post_with_base64_body(handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext) -> None:
    event = load_event("function_url_post_predict_base64.json")
    assert event["isBase64Encoded"] is True

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 200
    result = body_of(response)
    assert result["mask_name"] == "Dräger X-plore 1720 V FFP2"
    assert "Dräger" in response["body"], "non-ASCII names come back readable"


def test_trailing_slash_reaches_the_same_route(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    event = load_event("function_url_get_health.json")
    event["rawPath"] = "/health/"

    assert handler.lambda_handler(event, context)["statusCode"] == 200


def test_unknown_path_is_404_naming_the_routes(answer: Answer) -> None:
    error = answer("function_url_get_unknown_path.json", 404)
    assert error["error_type"] == "NotFound"
    assert "/models" in error["error"] and "/health" in error["error"] and "/predict" in error["error"]


def test_wrong_method_is_405_with_allow_header(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    response = handler.lambda_handler(load_event("function_url_get_predict.json"), context)

    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "POST"
    error = body_of(response)
    assert error["error_type"] == "MethodNotAllowed"
    assert "GET" in error["error"] and "POST" in error["error"]


def test_post_to_health_is_405_allowing_get(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    event = load_event("function_url_post_root_single.json")
    event["rawPath"] = "/health"
    event["requestContext"]["http"]["method"] = "POST"

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "GET"


def test_http_body_with_action_is_not_an_action(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    """Over HTTP, health is GET /health; a POSTed action is just a request without names."""
    event = load_event("function_url_post_root_single.json")
    event["body"] = json.dumps({"action": "keep_warm"})

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 400
    assert "mask_name" in body_of(response)["error"]


def test_base64_body_counts_decoded_bytes_for_the_size_limit(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.dumps({"mask_names": ["3M 8210 N95"] * 20}).encode()
    encoded = base64.b64encode(raw).decode()
    # The limit is the decoded size: the base64 text (a third longer) must not count.
    monkeypatch.setattr(handler, "CONFIG", handler.CONFIG._replace(max_request_bytes=len(raw)))
    event = load_event("function_url_post_predict_base64.json")
    event["body"] = encoded

    response = handler.lambda_handler(event, context)

    assert len(encoded) > len(raw)
    assert response["statusCode"] == 200
    assert body_of(response)["count"] == 20

"""The handler behind a Function URL (payload format 2.0): routes, HTTP statuses, JSON string bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.support.handlers import fail_with, internal_error_body, logged_internal_error
from tests.support.metrics import emitted_metrics
from tools.local_lambda import LocalLambdaContext

UrlEvent = Callable[..., dict[str, Any]]
BODY = json.dumps({"texts": ["I love this!", "This is terrible"]})


def _json_body(response: dict[str, Any]) -> Any:
    assert isinstance(response["body"], str)
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


@pytest.mark.parametrize("path", ["/", "/predict"])
def test_post_classifies_like_a_direct_invoke(
    handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent, path: str
) -> None:
    response = handler.lambda_handler(url_event("POST", path, BODY), context)
    assert response["statusCode"] == 200
    direct = handler.lambda_handler(json.loads(BODY), context)
    assert _json_body(response) == direct["body"]
    assert _json_body(response)["count"] == 2


def test_a_base64_encoded_body_is_decoded(
    handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent
) -> None:
    event = url_event("POST", "/predict", BODY.encode(), base64_encoded=True, content_type="application/octet-stream")
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 200
    assert [r["sentiment"] for r in _json_body(response)["results"]] == ["positive", "negative"]


def test_non_ascii_texts_round_trip(handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent) -> None:
    body = json.dumps({"texts": ["Ce café est délicieux 😀", "¡Me encanta!"]}, ensure_ascii=False)
    response = handler.lambda_handler(url_event("POST", "/", body), context)
    assert response["statusCode"] == 200 and _json_body(response)["count"] == 2


def test_an_empty_list_gets_count_zero(handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent) -> None:
    response = handler.lambda_handler(url_event("POST", "/predict", '{"texts": []}'), context)
    assert (response["statusCode"], _json_body(response)) == (200, {"results": [], "count": 0})


def test_get_health(handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent) -> None:
    response = handler.lambda_handler(url_event("GET", "/health"), context)
    assert response["statusCode"] == 200
    body = _json_body(response)
    assert body["status"] == "ok"
    assert body["model"]["model_id"] == "fixture/tiny-distilbert-sentiment"
    assert len(body["model"]["sha256"]) == 64


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (None, 400, "request body is empty"),
        ("", 400, "request body is empty"),
        ('{"texts": [', 400, "request body is not valid JSON: Expecting value at line 1 column 12"),
        ("texts=I+love+this", 400, "request body is not valid JSON"),
        (b"\xff\xfe\xfa", 400, "request body is not valid JSON"),
        ('["I love this"]', 400, 'the request must be a JSON object such as {"texts"'),
        ('{"texts": "I love this"}', 400, "'texts' must be an array of strings, got string"),
        ('{"texts": ["a", 1.5]}', 400, "texts[1] must be a string, got number"),
        ('{"texts": ["a", true]}', 400, "texts[1] must be a string, got boolean"),
        (json.dumps({"texts": ["x"] * 257}), 400, "'texts' has 257 items; the limit is 256"),
        (json.dumps({"texts": ["x" * 5001]}), 400, "texts[0] is 5001 characters long; the limit is 5000"),
        ('{"texts": ["' + "x" * 5_000_000 + '"]}', 413, "bytes; the limit is 5000000 bytes"),
        ("[" * 5_000_001, 413, "request is 5000001 bytes"),  # refused before it is parsed
    ],
    ids=lambda value: None if isinstance(value, (str, bytes, type(None))) else str(value),
)
def test_bad_input_gets_a_status_and_a_message(
    handler: ModuleType,
    context: LocalLambdaContext,
    url_event: UrlEvent,
    capsys: Any,
    body: Any,
    status: int,
    message: str,
) -> None:
    event = url_event("POST", "/predict", body, base64_encoded=isinstance(body, bytes))
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == status
    error = _json_body(response)
    assert message in error["error"]
    assert error["error_type"] == ("PayloadTooLarge" if status == 413 else "ValidationError")
    assert emitted_metrics(capsys.readouterr().out)["ValidationErrors"]["value"] == [1.0]


def test_a_body_marked_base64_that_is_not_is_refused(
    handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent
) -> None:
    event = url_event("POST", "/predict", "{not base64!}", base64_encoded=False)
    event["isBase64Encoded"] = True
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400
    assert "not valid base64" in _json_body(response)["error"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/"), ("GET", "/predict"), ("POST", "/health"), ("PUT", "/"), ("POST", "/classify")]
)
def test_unknown_routes_are_404_naming_the_routes(
    handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent, method: str, path: str
) -> None:
    response = handler.lambda_handler(url_event(method, path, BODY), context)
    assert response["statusCode"] == 404
    error = _json_body(response)
    assert error == {
        "error": f'no route {method} {path}: use POST / or POST /predict with {{"texts": [...]}}, or GET /health',
        "error_type": "NotFound",
    }


def test_an_unexpected_fault_is_a_500_without_details(
    handler: ModuleType,
    context: LocalLambdaContext,
    url_event: UrlEvent,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fail_with(monkeypatch, handler.MODEL, "predict", MemoryError("std::bad_alloc in MatMulInteger"))
    response = handler.lambda_handler(url_event("POST", "/predict", BODY), context)
    assert response["statusCode"] == 500
    assert _json_body(response) == internal_error_body(context)
    assert "bad_alloc" not in response["body"] and "Traceback" not in response["body"]
    assert emitted_metrics(capsys.readouterr().out)["InternalErrors"]["dimensions"] == {"service": "sentiment"}
    assert isinstance(logged_internal_error(caplog), MemoryError)  # logged, with traceback


def test_a_hand_written_event_the_resolver_could_not_read_is_a_400(
    handler: ModuleType, context: LocalLambdaContext, url_event: UrlEvent, capsys: Any
) -> None:
    # Never missing from a real Function URL event, but a direct invoke may send anything:
    # a 400 naming the key, not a 500 from the resolver tripping over it (issue 11).
    event = url_event("POST", "/predict", BODY)
    del event["requestContext"]["stage"]
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400
    assert _json_body(response) == {
        "error": 'malformed Function URL event: requestContext.stage must be a string such as "$default", got null',
        "error_type": "ValidationError",
    }
    assert emitted_metrics(capsys.readouterr().out)["ValidationErrors"]["value"] == [1.0]

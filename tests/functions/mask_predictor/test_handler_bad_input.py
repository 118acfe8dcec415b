"""Every kind of bad input gets a 400 (413 for size) whose message names the problem."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tools.local_lambda import LocalLambdaContext

LoadEvent = Callable[[str], dict[str, Any]]


def direct_error(handler: ModuleType, event: Any, context: LocalLambdaContext) -> tuple[int, str, str]:
    answer = handler.lambda_handler(event, context)
    assert set(answer) == {"statusCode", "error", "error_type"}, answer
    return answer["statusCode"], answer["error_type"], answer["error"]


def http_error(
    handler: ModuleType,
    load_event: LoadEvent,
    context: LocalLambdaContext,
    *,
    body: str | None,
    base64_encoded: bool = False,
) -> tuple[int, str, str]:
    event = load_event("function_url_post_root_single.json")
    if body is None:
        event.pop("body")
    else:
        event["body"] = body
    event["isBase64Encoded"] = base64_encoded
    response = handler.lambda_handler(event, context)
    assert response["headers"]["content-type"] == "application/json"
    error = json.loads(response["body"])
    assert set(error) == {"error", "error_type"}, error
    return response["statusCode"], error["error_type"], error["error"]


# (event, words the message must contain)
BAD_DIRECT_EVENTS: list[tuple[Any, tuple[str, ...]]] = [
    ({}, ("mask_name", "mask_names")),
    ({"name": "3M 8210"}, ("mask_name", "'name'")),
    ({"mask_name": "3M", "mask_names": ["3M"]}, ("either", "not both")),
    ({"mask_name": 42}, ("mask_name must be a string", "got int")),
    ({"mask_name": None}, ("mask_name must be a string", "got null")),
    ({"mask_name": ["3M 8210"]}, ("mask_name must be a string", "got list")),
    ({"mask_name": ""}, ("mask_name", "empty")),
    ({"mask_name": "   \t "}, ("mask_name", "whitespace")),
    ({"mask_name": "( , )"}, ("mask_name", "no words", "separators")),
    ({"mask_name": "N95 " * 60}, ("mask_name", "240 characters", "limit is 200")),
    ({"mask_name": "3M \ud800 N95"}, ("mask_name", "Unicode")),
    ({"mask_names": "3M 8210 N95"}, ("mask_names must be a list", "got string")),
    ({"mask_names": {"a": "3M"}}, ("mask_names must be a list", "got object")),
    ({"mask_names": ["3M 8210", "Moldex 2200", "BNX H95", 7]}, ("mask_names[3] must be a string, got int",)),
    ({"mask_names": ["3M 8210", ""]}, ("mask_names[1]", "empty")),
    ({"mask_names": ["3M", "x" * 201]}, ("mask_names[1]", "201 characters", "limit is 200")),
    ({"action": "reboot"}, ("unknown action", "reboot", "health", "keep_warm")),
    (["3M 8210 N95"], ("JSON object", "got list")),
    ("3M 8210 N95", ("JSON object", "got string")),
    (None, ("JSON object", "got null")),
]


@pytest.mark.parametrize(("event", "needles"), BAD_DIRECT_EVENTS, ids=[repr(e)[:40] for e, _ in BAD_DIRECT_EVENTS])
def test_bad_direct_event_is_400_naming_the_problem(
    handler: ModuleType, context: LocalLambdaContext, event: Any, needles: tuple[str, ...]
) -> None:
    status, error_type, message = direct_error(handler, event, context)

    assert (status, error_type) == (400, "ValidationError")
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


def test_too_many_names_is_400_naming_the_limit(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "CONFIG", handler.CONFIG._replace(max_batch_names=3))

    status, error_type, message = direct_error(handler, {"mask_names": ["3M 8210 N95"] * 4}, context)

    assert (status, error_type) == (400, "ValidationError")
    assert "4 names" in message and "limit is 3" in message and "batches" in message


def test_default_batch_limit_is_1000(handler: ModuleType, context: LocalLambdaContext) -> None:
    status, _, message = direct_error(handler, {"mask_names": ["N95"] * 1001}, context)

    assert status == 400 and "limit is 1000" in message


def test_oversized_direct_event_is_413(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = {"mask_names": ["3M Aura 9205+ N95 Particulate Respirator"] * 100}
    size = len(json.dumps(event, separators=(",", ":")).encode())
    monkeypatch.setattr(handler, "CONFIG", handler.CONFIG._replace(max_request_bytes=size - 1))

    status, error_type, message = direct_error(handler, event, context)

    assert (status, error_type) == (413, "PayloadTooLarge")
    assert f"{size} bytes" in message and f"limit is {size - 1}" in message and "smaller batches" in message


def test_direct_event_exactly_at_the_limit_is_accepted(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = {"mask_names": ["Dräger X-plore 1720 V FFP2"] * 10}
    size = len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())
    monkeypatch.setattr(handler, "CONFIG", handler.CONFIG._replace(max_request_bytes=size))

    assert handler.lambda_handler(event, context)["count"] == 10


# (body, base64?, words the message must contain)
BAD_HTTP_BODIES: list[tuple[str | None, bool, tuple[str, ...]]] = [
    (None, False, ("body is empty",)),
    ("", False, ("body is empty",)),
    ("{not json", False, ("not valid JSON",)),
    ('["3M 8210 N95"]', False, ("JSON object", "got list")),
    ('"3M 8210 N95"', False, ("JSON object", "got string")),
    ("[" * 100_000 + "]" * 100_000, False, ("nested too deeply",)),
    ("%%%not base64%%%", True, ("base64",)),
    (base64.b64encode(b"\xff\xfe\xfa{}").decode(), True, ("UTF-8",)),
    ('{"mask_names": ["3M", 7]}', False, ("mask_names[1] must be a string, got int",)),
    ('{"mask_name": ""}', False, ("mask_name", "empty")),
    ("{}", False, ("mask_name", "mask_names")),
]


@pytest.mark.parametrize(
    ("body", "base64_encoded", "needles"), BAD_HTTP_BODIES, ids=[repr(b)[:30] for b, _, _ in BAD_HTTP_BODIES]
)
def test_bad_http_body_is_400_naming_the_problem(
    handler: ModuleType,
    load_event: LoadEvent,
    context: LocalLambdaContext,
    body: str | None,
    base64_encoded: bool,
    needles: tuple[str, ...],
) -> None:
    status, error_type, message = http_error(handler, load_event, context, body=body, base64_encoded=base64_encoded)

    assert (status, error_type) == (400, "ValidationError")
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_oversized_http_body_is_413(
    handler: ModuleType,
    load_event: LoadEvent,
    context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    base64_encoded: bool,
) -> None:
    raw = json.dumps({"mask_names": ["3M 8210 N95"] * 50})
    monkeypatch.setattr(handler, "CONFIG", handler.CONFIG._replace(max_request_bytes=len(raw) - 1))
    body = base64.b64encode(raw.encode()).decode() if base64_encoded else raw

    status, error_type, message = http_error(handler, load_event, context, body=body, base64_encoded=base64_encoded)

    assert (status, error_type) == (413, "PayloadTooLarge")
    assert f"limit is {len(raw) - 1} bytes" in message


def test_default_http_size_limit_is_256_kib(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    body = json.dumps({"mask_name": "x" * 262_144})

    status, error_type, _ = http_error(handler, load_event, context, body=body)

    assert (status, error_type) == (413, "PayloadTooLarge")


def test_malformed_function_url_event_is_400(handler: ModuleType, context: LocalLambdaContext) -> None:
    response = handler.lambda_handler({"requestContext": {"http": {}}}, context)

    assert response["statusCode"] == 400
    assert "method" in json.loads(response["body"])["error"]

"""Recognising the event kinds every function answers the same way.

- Lambda Function URL request (payload format 2.0: `requestContext.http`)
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
Anything else sent directly is a prediction request, which each function parses itself.
The HTTP event shapes (Function URL 2.0, REST proxy 1.0) are checked key by key here too:
a caller may hand-write one and send it by direct invoke.
"""

from __future__ import annotations

from lambda_common.errors import ValidationError
from lambda_common.json_types import type_name

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ACTION_KEY = "action"
HEALTH = "health"
KEEP_WARM = "keep_warm"
PREDICT = "predict"
ACTIONS = (HEALTH, KEEP_WARM)


def is_function_url_event(event: object) -> bool:
    if not isinstance(event, dict):
        return False
    request_context = event.get("requestContext")
    return isinstance(request_context, dict) and isinstance(request_context.get("http"), dict)


def is_scheduled_event(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def direct_action(event: dict[str, Any], *, predict_hint: str) -> str:
    """HEALTH, KEEP_WARM or PREDICT for a direct invoke's JSON object; ValidationError for an
    unknown action. `predict_hint` completes "or send ..." in that error, e.g. "'texts' without
    'action' to classify"."""
    if is_scheduled_event(event):
        return KEEP_WARM
    if ACTION_KEY in event:
        action = event[ACTION_KEY]
        if action not in ACTIONS:
            raise ValidationError(
                f"unknown action {str(action)[:50]!r}: use {HEALTH!r} or {KEEP_WARM!r}, or send {predict_hint}"
            )
        return HEALTH if action == HEALTH else KEEP_WARM
    return PREDICT


# -- the shapes of HTTP events a caller may also send by direct invoke -------------------------
# Lambda's front doors always send these keys with these types; a hand-written event sent
# straight to the function may not. Checked before any code (Powertools' resolvers included)
# reads them, so a wrong type is a 400 naming the key, never an AttributeError.

_STRING_MAP = "an object of strings"
_LIST_MAP = "an object of arrays of strings"


def check_function_url_event(event: dict[str, Any], *, for_resolver: bool = False) -> None:
    """ValidationError unless the Function URL (payload 2.0) keys have their types.
    `for_resolver`: also require what Powertools' resolver reads unconditionally (rawPath,
    requestContext.stage), which Lambda always sends."""
    what = "malformed Function URL event"
    request_context = event["requestContext"]
    http = request_context["http"]
    for key in ("method", "path"):
        _require(http.get(key), str, f"{what}: requestContext.http.{key}", "a string", optional=False)
    _require(
        request_context.get("stage"),
        str,
        f"{what}: requestContext.stage",
        'a string such as "$default"',
        optional=not for_resolver,
    )
    _require(event.get("rawPath"), str, f"{what}: 'rawPath'", 'a string such as "/predict"', optional=not for_resolver)
    for key in ("rawQueryString", "body", "routeKey", "version"):
        _require(event.get(key), str, f"{what}: '{key}'", "a string")
    _require(event.get("isBase64Encoded"), bool, f"{what}: 'isBase64Encoded'", "true or false")
    for key in ("headers", "queryStringParameters", "pathParameters", "stageVariables"):
        _require_map(event.get(key), f"{what}: '{key}'", lists=False)
    cookies = event.get("cookies")
    if cookies is not None and not (isinstance(cookies, list) and all(isinstance(c, str) for c in cookies)):
        raise ValidationError(f"{what}: 'cookies' must be an array of strings, got {type_name(cookies)}")


def check_rest_proxy_event(event: dict[str, Any]) -> None:
    """ValidationError unless the API Gateway REST proxy (payload 1.0) keys have their types
    (`httpMethod` and `path` are what recognised the event)."""
    what = "malformed API Gateway proxy event"
    for key in ("resource", "body"):
        _require(event.get(key), str, f"{what}: '{key}'", "a string")
    _require(event.get("isBase64Encoded"), bool, f"{what}: 'isBase64Encoded'", "true or false")
    _require(event.get("requestContext"), dict, f"{what}: 'requestContext'", "an object")
    for key in ("headers", "queryStringParameters", "pathParameters", "stageVariables"):
        _require_map(event.get(key), f"{what}: '{key}'", lists=False)
    for key in ("multiValueHeaders", "multiValueQueryStringParameters"):
        _require_map(event.get(key), f"{what}: '{key}'", lists=True)


def _require(value: object, kind: type, field: str, expected: str, *, optional: bool = True) -> None:
    if (value is None and optional) or isinstance(value, kind):
        return
    raise ValidationError(f"{field} must be {expected}, got {type_name(value)}")


def _require_map(value: object, field: str, *, lists: bool) -> None:
    """None, or {string: string} ({string: [string, ...]} with `lists`)."""
    if value is None:
        return
    expected = _LIST_MAP if lists else _STRING_MAP
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be {expected} (or null), got {type_name(value)}")
    for name, item in value.items():
        good = (
            isinstance(item, list) and all(isinstance(entry, str) for entry in item) if lists else isinstance(item, str)
        )
        if not good:
            raise ValidationError(f"{field} must be {expected}: the value of {str(name)[:50]!r} is {type_name(item)}")

"""Recognising what an incoming event is, and completing a hand-written proxy event.

Kinds:
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event -> answered without
  touching the model or the resolver
- health: `{"action": "health"}` -> handled as `GET /health`
- API Gateway REST proxy event (payload v1: `httpMethod` and `path`) -> the Powertools resolver.
  A direct invoke may send as little as `{"httpMethod": "GET", "path": "/health"}`:
  `complete_rest_event` fills in what API Gateway always sends (empty headers, a request
  context naming the method and path...), without changing anything the caller did send.
"""

from __future__ import annotations

from typing import Any

from lambda_common.events import ACTION_KEY, HEALTH, KEEP_WARM, is_scheduled_event

EXAMPLE = '{"httpMethod": "GET", "path": "/health"}'


def is_keep_warm(event: object) -> bool:
    return isinstance(event, dict) and (event.get(ACTION_KEY) == KEEP_WARM or is_scheduled_event(event))


def is_health_action(event: object) -> bool:
    return isinstance(event, dict) and event.get(ACTION_KEY) == HEALTH and "httpMethod" not in event


def is_rest_event(event: object) -> bool:
    """An API Gateway REST API proxy event (payload format 1.0), however minimal."""
    return isinstance(event, dict) and isinstance(event.get("httpMethod"), str) and isinstance(event.get("path"), str)


def complete_rest_event(event: dict[str, Any], *, request_id: str | None) -> dict[str, Any]:
    """A copy of `event` with every top-level key of a REST proxy event present."""
    method = event["httpMethod"].upper()
    path = event["path"] or "/"
    headers = event.get("headers") or {}
    multi_value_headers = event.get("multiValueHeaders") or {name: [value] for name, value in headers.items()}
    query = event.get("queryStringParameters")
    multi_value_query = event.get("multiValueQueryStringParameters")
    if multi_value_query is None and query:
        multi_value_query = {name: [value] for name, value in query.items()}
    request_context = {
        "httpMethod": method,
        "path": path,
        "resourcePath": event.get("resource") or path,
        "stage": "$default",
        "requestId": request_id or "direct-invoke",
        "identity": {"sourceIp": None, "userAgent": None},
        **(event.get("requestContext") or {}),
    }
    return {
        **event,
        "httpMethod": method,
        "path": path,
        "resource": event.get("resource") or path,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_value_query,
        "pathParameters": event.get("pathParameters"),
        "stageVariables": event.get("stageVariables"),
        "requestContext": request_context,
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded", False)),
    }


def health_event() -> dict[str, Any]:
    return {"httpMethod": "GET", "path": "/health"}

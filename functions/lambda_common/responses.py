"""The answers every function shapes the same way: health checks and JSON bodies.

Standard library only (the ZIP function imports `health`); Powertools' Response is imported
on use by `json_response`, which only the image functions call.
"""

from __future__ import annotations

import json

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

JSON_HEADERS = {"Content-Type": "application/json"}


def health(context: Any, config: Any, **fields: Any) -> dict[str, Any]:
    """{"status": "ok", "function_name", "function_version", **fields}: the name and version
    from the invocation context, else from the configuration (Lambda's environment)."""
    return {
        "status": "ok",
        "function_name": getattr(context, "function_name", None) or config.function_name,
        "function_version": getattr(context, "function_version", None) or config.function_version,
        **fields,
    }


def json_text(body: Any) -> str:
    """Compact JSON, non-ASCII kept as it is."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_response(status_code: int, body: dict[str, Any]) -> Any:
    """A JSON answer through a Powertools event-handler resolver (an event_handler.Response)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=status_code, content_type="application/json", body=json_text(body))


def answer_route_errors(app: Any, telemetry: Any, *, routes: str) -> None:
    """Registers on a Powertools resolver the answers of the image functions' HTTP routes: an
    unknown route is a 404 naming `routes`, and any exception a route raises (or that 404) is
    `telemetry`'s failure answer (logged and counted there)."""
    from lambda_common.errors import NotFoundError

    def http_error(error: Exception) -> Any:
        failure = telemetry.failure(error, app.lambda_context)
        return json_response(failure.status_code, failure.body)

    def http_not_found(_: Exception) -> Any:
        event = app.current_event
        return http_error(NotFoundError(f"no route {event.http_method} {event.path}: use {routes}"))

    app.not_found(http_not_found)
    app.exception_handler(Exception)(http_error)


def function_url_response(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    """A Function URL (payload 2.0) JSON response built without a resolver (it could not be used)."""
    return {
        "statusCode": status_code,
        "headers": dict(JSON_HEADERS),
        "body": json_text(body),
        "isBase64Encoded": False,
        "cookies": [],
    }


def rest_proxy_response(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST proxy (payload 1.0) JSON response built without a resolver."""
    return {
        "statusCode": status_code,
        "headers": dict(JSON_HEADERS),
        "multiValueHeaders": {name: [value] for name, value in JSON_HEADERS.items()},
        "body": json_text(body),
        "isBase64Encoded": False,
    }

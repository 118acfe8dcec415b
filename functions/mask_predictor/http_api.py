"""Lambda Function URL requests (payload format 2.0): routing, reading the body, responses.

Routes: GET /health, POST / and POST /predict (body: a prediction request as JSON).
"""

from __future__ import annotations

import base64
import binascii
import json

from lambda_common.errors import NotFoundError, PayloadTooLargeError, RequestError, ValidationError
from lambda_common.events import HEALTH, PREDICT, check_function_url_event
from lambda_common.json_input import loads
from mask_predictor.events import request_too_large_message
from mask_predictor.validation import type_name

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

JSON_HEADERS = {"content-type": "application/json"}
EXAMPLE_REQUEST = '{"mask_name": "3M Aura 9205+ N95"}'

# path -> method -> what the request asks for
ROUTES: dict[str, dict[str, str]] = {
    "/health": {"GET": HEALTH},
    "/": {"POST": PREDICT},
    "/predict": {"POST": PREDICT},
}


# Here rather than in a module of its own: only routing raises it, and every module the
# handler imports is paid for at cold start.
class MethodNotAllowedError(RequestError):
    status_code = 405
    error_type = "MethodNotAllowed"

    def __init__(self, message: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(message, headers={"allow": ", ".join(allowed)})


class HttpRequest:
    __slots__ = ("method", "path", "body", "is_base64_encoded")

    def __init__(self, *, method: str, path: str, body: str | None, is_base64_encoded: bool) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.is_base64_encoded = is_base64_encoded


def parse_request(event: dict[str, Any]) -> HttpRequest:
    check_function_url_event(event)
    http = event["requestContext"]["http"]
    method = http.get("method")
    path = event.get("rawPath", http.get("path"))
    if not isinstance(method, str) or not isinstance(path, str):
        raise ValidationError("malformed Function URL event: requestContext.http.method or rawPath missing")
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        raise ValidationError(
            f"malformed Function URL event: 'body' must be a string (JSON, or base64 with isBase64Encoded),"
            f" got {type_name(body)}"
        )
    return HttpRequest(
        method=method.upper(),
        path=path.rstrip("/") or "/",
        body=body if isinstance(body, str) else None,
        is_base64_encoded=bool(event.get("isBase64Encoded", False)),
    )


def route(request: HttpRequest) -> str:
    """HEALTH or PREDICT; NotFoundError / MethodNotAllowedError for anything else."""
    methods = ROUTES.get(request.path)
    if methods is None:
        raise NotFoundError(f"no route {request.path[:100]!r}: use GET /health, or POST / or POST /predict")
    kind = methods.get(request.method)
    if kind is None:
        allowed = tuple(methods)
        raise MethodNotAllowedError(
            f"{request.method[:20]} is not allowed on {request.path}: use {' or '.join(allowed)}",
            allowed=allowed,
        )
    return kind


def json_body(request: HttpRequest, *, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object, within the size limit."""
    if not request.body:
        raise ValidationError(f"the request body is empty: send a JSON object such as {EXAMPLE_REQUEST}")
    if request.is_base64_encoded:
        # Quick bound before decoding: base64 never encodes more than 3 bytes per 4 chars.
        if len(request.body) // 4 * 3 > max_bytes + 2:
            raise PayloadTooLargeError(request_too_large_message(size=len(request.body) // 4 * 3, max_bytes=max_bytes))
        try:
            raw = base64.b64decode(request.body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("request body is marked base64-encoded but is not valid base64") from None
    else:
        raw = request.body.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(request_too_large_message(size=len(raw), max_bytes=max_bytes))
    payload = loads(raw, example=EXAMPLE_REQUEST)
    if not isinstance(payload, dict):
        raise ValidationError(
            f"the request body must be a JSON object such as {EXAMPLE_REQUEST}, got {type_name(payload)}"
        )
    return payload


def response(status_code: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False),
    }

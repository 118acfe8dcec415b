"""JSON answers, through the Powertools resolver or (when it cannot be used) as a raw REST proxy response."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from lambda_common.errors import ErrorResponse

JSON_HEADERS = {"Content-Type": "application/json"}


def json_response(status_code: int, body: dict[str, Any]) -> Response:
    return Response(
        status_code=status_code,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    )


def proxy_response(failure: ErrorResponse) -> dict[str, Any]:
    """An API Gateway proxy response built without the resolver (it could not be used)."""
    return {
        "statusCode": failure.status_code,
        "headers": dict(JSON_HEADERS),
        "multiValueHeaders": {name: [value] for name, value in JSON_HEADERS.items()},
        "body": json.dumps(failure.body, ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }

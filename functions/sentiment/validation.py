"""Request validation: pure functions that return clean input or raise a RequestError saying
what to fix. Limits come from the configuration (MAX_TEXTS, MAX_TEXT_CHARS, MAX_REQUEST_BYTES).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from lambda_common.errors import PayloadTooLargeError, ValidationError
from lambda_common.json_input import check_decoded, encoded_size, loads
from lambda_common.json_types import type_name

EXAMPLE = '{"texts": ["I love this!", "This is terrible"]}'


def check_size(size: int, *, max_bytes: int) -> None:
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"request is {size} bytes; the limit is {max_bytes} bytes: split 'texts' into smaller batches"
        )


def direct_event_size(event: Any) -> int:
    """A direct invoke has no body: measure the event as compact UTF-8 JSON, the way clients
    encode it, so a client that budgets its batches by that size is never refused. The event
    is checked first (lambda_common.json_input): nesting, numbers, Unicode."""
    check_decoded(event)
    return encoded_size(event)


def parse_json_body(body: bytes) -> Any:
    """The decoded JSON of an HTTP request body (lambda_common.json_input.loads)."""
    return loads(body, example=EXAMPLE)


def parse_texts(payload: Any, *, max_texts: int, max_text_chars: int) -> list[str]:
    """The texts of a prediction request `{"texts": [...]}`: at most `max_texts` of them, each
    at most `max_text_chars` long."""
    if not isinstance(payload, dict):
        raise ValidationError(f"the request must be a JSON object such as {EXAMPLE}, got {type_name(payload)}")
    if "texts" not in payload:
        raise ValidationError(f"missing 'texts': send a JSON object such as {EXAMPLE}")
    texts = payload["texts"]
    if not isinstance(texts, list):
        raise ValidationError(f"'texts' must be an array of strings, got {type_name(texts)}")
    if len(texts) > max_texts:
        raise ValidationError(
            f"'texts' has {len(texts)} items; the limit is {max_texts} per request: split it into smaller batches"
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValidationError(f"texts[{index}] must be a string, got {type_name(text)}")
        if len(text) > max_text_chars:
            raise ValidationError(f"texts[{index}] is {len(text)} characters long; the limit is {max_text_chars}")
    return texts


def http_body(event: Mapping[str, Any]) -> bytes:
    """A Function URL event's body as the client sent it (base64 undone); `body` is a string
    or absent (check_function_url_event)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("request body is marked base64-encoded but is not valid base64") from None
    return body.encode("utf-8", "surrogatepass")

"""Request validation: pure functions that return clean input or raise a RequestError saying
what to fix. Limits come from the configuration (MAX_TEXTS, MAX_TEXT_CHARS, MAX_REQUEST_BYTES).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambda_common.errors import PayloadTooLargeError, ValidationError
from lambda_common.json_types import type_name

EXAMPLE = '{"texts": ["I love this!", "This is terrible"]}'


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_texts: int
    max_text_chars: int
    max_request_bytes: int


def check_size(size: int, *, max_bytes: int) -> None:
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"request is {size} bytes; the limit is {max_bytes} bytes: split 'texts' into smaller batches"
        )


def direct_event_size(event: Any) -> int:
    """A direct invoke has no body: measure the event as compact UTF-8 JSON, the way clients
    encode it, so a client that budgets its batches by that size is never refused."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def parse_json_body(body: bytes) -> Any:
    """The decoded JSON of an HTTP request body."""
    if not body.strip():
        raise ValidationError(f"request body is empty: send a JSON object such as {EXAMPLE}")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ValidationError("request body is not valid JSON: it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"request body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def parse_texts(payload: Any, limits: Limits) -> list[str]:
    """The texts of a prediction request `{"texts": [...]}`, checked against the limits."""
    if not isinstance(payload, dict):
        raise ValidationError(f"the request must be a JSON object such as {EXAMPLE}, got {type_name(payload)}")
    if "texts" not in payload:
        raise ValidationError(f"missing 'texts': send a JSON object such as {EXAMPLE}")
    texts = payload["texts"]
    if not isinstance(texts, list):
        raise ValidationError(f"'texts' must be an array of strings, got {type_name(texts)}")
    if len(texts) > limits.max_texts:
        raise ValidationError(
            f"'texts' has {len(texts)} items; the limit is {limits.max_texts} per request:"
            " split it into smaller batches"
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValidationError(f"texts[{index}] must be a string, got {type_name(text)}")
        if len(text) > limits.max_text_chars:
            raise ValidationError(
                f"texts[{index}] is {len(text)} characters long; the limit is {limits.max_text_chars}"
            )
    return texts

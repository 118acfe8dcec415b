"""Recognising what an incoming event is: an HTTP request, a ping, a health check or a prediction.

Kinds:
- Lambda Function URL request (payload format 2.0: `requestContext.http.method`) -> http_api.py
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
- prediction: `{"mask_name": ...}` or `{"mask_names": [...]}` (validation.py)
"""

from __future__ import annotations

import json
# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

from mask_predictor.errors import PayloadTooLargeError, ValidationError
from mask_predictor.validation import type_name

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


def direct_event_kind(event: object) -> str:
    """HEALTH, KEEP_WARM or PREDICT for a direct invoke payload; ValidationError otherwise."""
    if not isinstance(event, dict):
        raise ValidationError(
            f"the event must be a JSON object such as {{\"mask_name\": \"3M Aura 9205+ N95\"}},"
            f" got {type_name(event)}"
        )
    if is_scheduled_event(event):
        return KEEP_WARM
    if ACTION_KEY in event:
        action = event[ACTION_KEY]
        if action not in ACTIONS:
            raise ValidationError(
                f"unknown action {str(action)[:50]!r}: use {HEALTH!r} or {KEEP_WARM!r}, or send"
                " 'mask_name' / 'mask_names' without 'action' to predict"
            )
        return HEALTH if action == HEALTH else KEEP_WARM
    return PREDICT


def check_direct_event_size(event: dict[str, Any], *, max_bytes: int) -> None:
    """Direct invokes have no body: measure the event as compact UTF-8 JSON, the way the
    clients encode it, so a client that budgets its batches by that size is never refused."""
    size = len(
        json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    )
    if size > max_bytes:
        raise PayloadTooLargeError(request_too_large_message(size=size, max_bytes=max_bytes))


def request_too_large_message(*, size: int, max_bytes: int) -> str:
    return (
        f"request is {size} bytes; the limit is {max_bytes} bytes: split 'mask_names' into"
        " smaller batches"
    )

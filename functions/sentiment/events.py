"""Recognising what an incoming event is: an HTTP request, a ping, a health check or a prediction.

Kinds:
- Function URL request (payload format 2.0: `requestContext.http`) -> the Powertools resolver
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
- prediction: `{"texts": [...]}` (validation.parse_texts)
"""

from __future__ import annotations

from typing import Any

from sentiment.errors import ValidationError
from sentiment.validation import EXAMPLE, type_name

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
        raise ValidationError(f"the event must be a JSON object such as {EXAMPLE}, got {type_name(event)}")
    if is_scheduled_event(event):
        return KEEP_WARM
    if ACTION_KEY in event:
        action = event[ACTION_KEY]
        if action not in ACTIONS:
            raise ValidationError(
                f"unknown action {str(action)[:50]!r}: use {HEALTH!r} or {KEEP_WARM!r}, or send"
                " 'texts' without 'action' to classify"
            )
        return action
    return PREDICT

"""Recognising the event kinds every function answers the same way.

- Lambda Function URL request (payload format 2.0: `requestContext.http`)
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
Anything else sent directly is a prediction request, which each function parses itself.
"""

from __future__ import annotations

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

from lambda_common.errors import ValidationError

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
                f"unknown action {str(action)[:50]!r}: use {HEALTH!r} or {KEEP_WARM!r}, or send"
                f" {predict_hint}"
            )
        return HEALTH if action == HEALTH else KEEP_WARM
    return PREDICT

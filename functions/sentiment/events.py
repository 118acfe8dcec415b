"""Recognising what an incoming event is: an HTTP request, a ping, a health check or a prediction.

Kinds:
- Function URL request (payload format 2.0: `requestContext.http`) -> the Powertools resolver
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
- prediction: `{"texts": [...]}` (validation.parse_texts)
The shared recognition lives in lambda_common.events; this module adds the sentiment wording.
"""

from __future__ import annotations

from lambda_common.errors import ValidationError
from lambda_common.events import direct_action
from lambda_common.json_types import type_name
from sentiment.validation import EXAMPLE


def direct_event_kind(event: object) -> str:
    """HEALTH, KEEP_WARM or PREDICT for a direct invoke payload; ValidationError otherwise."""
    if not isinstance(event, dict):
        raise ValidationError(f"the event must be a JSON object such as {EXAMPLE}, got {type_name(event)}")
    return direct_action(event, predict_hint="'texts' without 'action' to classify")

"""Recognising what an incoming event is: an HTTP request, a ping, a health check or a prediction.

Kinds:
- Lambda Function URL request (payload format 2.0: `requestContext.http.method`) -> http_api.py
- keep-warm: `{"action": "keep_warm"}`, or an EventBridge scheduled event
- health: `{"action": "health"}`
- prediction: `{"mask_name": ...}` or `{"mask_names": [...]}` (validation.py)
The shared recognition lives in lambda_common.events; this module adds the mask wording.
"""

from __future__ import annotations

from lambda_common.errors import PayloadTooLargeError, ValidationError
from lambda_common.events import direct_action
from lambda_common.json_input import check_decoded, encoded_size
from mask_predictor.validation import type_name

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def direct_event_kind(event: object) -> str:
    """HEALTH, KEEP_WARM or PREDICT for a direct invoke payload; ValidationError otherwise."""
    if not isinstance(event, dict):
        raise ValidationError(
            f'the event must be a JSON object such as {{"mask_name": "3M Aura 9205+ N95"}}, got {type_name(event)}'
        )
    return direct_action(event, predict_hint="'mask_name' / 'mask_names' without 'action' to predict")


def check_direct_event_size(event: dict[str, Any], *, max_bytes: int) -> None:
    """Direct invokes have no body: measure the event as compact UTF-8 JSON, the way the
    clients encode it, so a client that budgets its batches by that size is never refused.
    The event is checked first (lambda_common.json_input): nesting, numbers, Unicode."""
    check_decoded(event)
    size = encoded_size(event)
    if size > max_bytes:
        raise PayloadTooLargeError(request_too_large_message(size=size, max_bytes=max_bytes))


def request_too_large_message(*, size: int, max_bytes: int) -> str:
    return f"request is {size} bytes; the limit is {max_bytes} bytes: split 'mask_names' into smaller batches"

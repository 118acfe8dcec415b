"""Recognising what an incoming event is.

| event                                                       | kind          | on failure          |
|-------------------------------------------------------------|---------------|---------------------|
| {"model_s3_uri", "data_s3_uri", "output_s3_uri", ...}        | PREDICT       | 400/500 answer      |
| {"action": "health"}                                        | HEALTH        | answer              |
| {"action": "keep_warm"}, EventBridge Scheduled Event        | KEEP_WARM     | answer              |
| {"Records": [{"eventSource": "aws:s3", ...}]}               | S3_NOTIFICATION | raises            |
| {"action": "plan_job", "job": {...}}                        | PLAN_JOB      | raises              |
| {"Items": [...], "BatchInput": {...}} (Distributed Map)     | MAP_BATCH     | raises              |
The shared recognition (health, keep-warm) lives in lambda_common.events.
"""

from __future__ import annotations

from batch_predict.requests import EXAMPLE
from batch_predict.s3_trigger import is_s3_notification
from lambda_common.errors import ValidationError
from lambda_common.events import ACTION_KEY, direct_action
from lambda_common.json_types import type_name

S3_NOTIFICATION = "s3_notification"
PLAN_JOB = "plan_job"
MAP_BATCH = "map_batch"
# The kinds a pipeline (S3, Step Functions) sends: their failures must raise, not answer.
PIPELINE_KINDS = (S3_NOTIFICATION, PLAN_JOB, MAP_BATCH)


def event_kind(event: object) -> str:
    """The kind of `event` (the constants here, or lambda_common.events' HEALTH, KEEP_WARM and
    PREDICT); ValidationError for something that is none of them."""
    if not isinstance(event, dict):
        raise ValidationError(f"the event must be a JSON object such as {EXAMPLE}, got {type_name(event)}")
    if is_s3_notification(event):
        return S3_NOTIFICATION
    if event.get(ACTION_KEY) == PLAN_JOB:
        return PLAN_JOB
    if "Items" in event and "BatchInput" in event:
        return MAP_BATCH
    return direct_action(
        event,
        predict_hint=f"{PLAN_JOB!r} (Step Functions), or a prediction request without 'action' such as {EXAMPLE}",
    )

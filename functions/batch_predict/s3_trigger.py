"""S3 notifications: each object created under DATA_PREFIX is predicted with the TRIGGER_*
settings to RESULTS_BUCKET/RESULTS_PREFIX + <its key relative to DATA_PREFIX>.

The output is overwritten (the same input key uploaded again means new data). Failures
raise (see the handler): Lambda retries the asynchronous event, then sends it to the failure
destination; an error answer would be dropped silently.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from batch_predict.config import ENV_TRIGGER_MODEL_S3_URI, FunctionConfig
from batch_predict.locations import require_inside
from batch_predict.model_store import ModelStore
from batch_predict.predict import JobResult, run_job
from batch_predict.requests import JobRequest, PredictionOptions
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Object, S3UriError

S3_EVENT_SOURCE = "aws:s3"


def is_s3_notification(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and any(
        isinstance(record, dict) and record.get("eventSource") == S3_EVENT_SOURCE for record in records
    )


def created_objects(event: dict[str, Any]) -> list[S3Object]:
    """The objects an S3 notification reports created (keys arrive URL-encoded); other records,
    and "folder" markers, are skipped."""
    found = []
    for index, record in enumerate(event["Records"]):
        if not isinstance(record, dict) or record.get("eventSource") != S3_EVENT_SOURCE:
            continue
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        try:
            bucket = record["s3"]["bucket"]["name"]
            key = record["s3"]["object"]["key"]
        except (KeyError, TypeError):
            bucket = key = None
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise ValidationError(
                f"Records[{index}] is not an S3 notification record (no s3.bucket.name / s3.object.key strings)"
            )
        key = unquote_plus(key)
        if key.endswith("/"):
            continue
        try:
            found.append(S3Object.parse(f"s3://{bucket}/{key}"))
        except S3UriError as error:
            raise ValidationError(f"Records[{index}]: {error}") from None
    return found


def handle_notification(
    event: dict[str, Any], *, s3: Any, models: ModelStore, config: FunctionConfig
) -> dict[str, Any]:
    objects = created_objects(event)
    if objects and config.trigger_model is None:
        raise ValidationError(
            f"an S3 notification arrived but {ENV_TRIGGER_MODEL_S3_URI} is not set: set it to the model to use"
        )
    results: list[JobResult] = []
    for data in objects:
        require_inside(data, config.data_location, field="the notified object", purpose="read data from")
        output = config.results_location.object(config.data_location.relative_key(data))
        request = JobRequest(
            model=config.trigger_model,  # type: ignore[arg-type]  # checked above
            data=data,
            output=output,
            options=PredictionOptions(
                prediction_column=config.trigger_prediction_column, feature_columns=config.trigger_feature_columns
            ),
            overwrite=True,
        )
        results.append(run_job(request, s3=s3, models=models, config=config))
    return {
        "objects": len(results),
        "predictions_generated": sum(result.rows for result in results),
        "outputs": [result.output.uri for result in results],
    }

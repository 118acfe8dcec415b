"""Lambda entry point: `batch_predict.handler.lambda_handler`.

Thin: recognise the event, call one function, shape the answer (or raise, for pipelines).
Configuration, the S3 client, the model cache and Powertools objects are made once, at import.

Direct invoke:   {"model_s3_uri", "data_s3_uri", "output_s3_uri", "prediction_column_name",
                  "feature_columns", "include_probabilities", "overwrite"}
                 -> {"statusCode": 200, "body": {"success": true, "predictions_generated", ...}}
                 errors -> {"statusCode": 400|500, "body": {"success": false, "error", "error_type"[, "request_id"]}}
                 {"action": "health"} -> {"statusCode": 200, "body": {"status": "ok", ...}}
                 {"action": "keep_warm"} / EventBridge schedule -> {"status": "warm"}
S3 notification, {"action": "plan_job", "job"}, Distributed Map {"Items", "BatchInput"}:
                 a result dict, or an exception named ValidationError / InternalError.
Metrics: RowsPredicted, JobsCompleted, JobsPlanned, OutputBytes, ModelLoads, ValidationErrors,
InternalErrors, HealthChecks, KeepWarmPings, and ColdStart (lambda_common.metric_names).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from batch_predict import events
from batch_predict.config import FunctionConfig
from batch_predict.errors import pipeline_error
from batch_predict.model_store import ModelStore
from batch_predict.predict import JobResult, run_job
from batch_predict.requests import JobRequest, MapBatch, PlanRequest
from batch_predict.s3_trigger import handle_notification
from batch_predict.step_functions import plan_job, run_map_batch
from lambda_common import metric_names as metric
from lambda_common.errors import ErrorResponse
from lambda_common.events import HEALTH, KEEP_WARM, PREDICT
from lambda_common.json_input import check_decoded
from lambda_common.responses import health
from lambda_common.telemetry import Telemetry

CONFIG = FunctionConfig.from_environ(os.environ)
TELEMETRY = Telemetry.powertools(CONFIG)
logger, metrics = TELEMETRY.logger, TELEMETRY.metrics
# boto3 reads the endpoint (AWS_ENDPOINT_URL_S3), region and credentials from the environment.
S3 = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))
MODELS = ModelStore.for_config(CONFIG, s3=S3)
logger.info("configured", extra=CONFIG.describe())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        kind = events.event_kind(event)
    except Exception as error:  # not even recognisable: answered, like any direct invoke
        return _answer(TELEMETRY.failure(error, context))
    if kind == KEEP_WARM:
        TELEMETRY.count(metric.KEEP_WARM_PINGS)
        return {"status": "warm"}
    if kind == HEALTH:
        return {"statusCode": 200, "body": _health(context)}
    if kind == PREDICT:
        try:
            check_decoded(event)
            return {"statusCode": 200, "body": _job(JobRequest.from_event(event)).as_body()}
        except Exception as error:  # a direct invoke is always answered, never raises
            return _answer(TELEMETRY.failure(error, context))
    try:
        check_decoded(event)  # nesting, numbers, Unicode: before anything walks or re-encodes it
        return _pipeline(kind, event)
    except Exception as error:  # a pipeline must see the failure to retry or record it
        TELEMETRY.failure(error, context)
        raised = pipeline_error(error, request_id=getattr(context, "aws_request_id", None))
        if raised is error:
            raise
        raise raised from error


def _pipeline(kind: str, event: dict[str, Any]) -> dict[str, Any]:
    loads_before = MODELS.downloads
    if kind == events.S3_NOTIFICATION:
        result = handle_notification(event, s3=S3, models=MODELS, config=CONFIG)
    elif kind == events.PLAN_JOB:
        result = plan_job(PlanRequest.from_event(event.get("job")), s3=S3, models=MODELS, config=CONFIG)
        TELEMETRY.count(metric.JOBS_PLANNED)
    else:
        result = run_map_batch(MapBatch.from_event(event), s3=S3, models=MODELS, config=CONFIG)
    _count_model_loads(loads_before)
    if "predictions_generated" in result:
        TELEMETRY.count_all(
            {metric.ROWS_PREDICTED: result["predictions_generated"], metric.JOBS_COMPLETED: len(result["outputs"])}
        )
    logger.info(f"{kind} done", extra={key: value for key, value in result.items() if key != "batch_input"})
    return result


def _job(request: JobRequest) -> JobResult:
    loads_before = MODELS.downloads
    result = run_job(request, s3=S3, models=MODELS, config=CONFIG)
    _count_model_loads(loads_before)
    TELEMETRY.count_all({metric.ROWS_PREDICTED: result.rows, metric.JOBS_COMPLETED: 1})
    TELEMETRY.count(metric.OUTPUT_BYTES, result.bytes_written, unit="Bytes")
    logger.info("job done", extra=result.summary())
    return result


def _count_model_loads(before: int) -> None:
    if MODELS.downloads > before:
        TELEMETRY.count(metric.MODEL_LOADS, MODELS.downloads - before)


def _answer(failure: ErrorResponse) -> dict[str, Any]:
    return {"statusCode": failure.status_code, "body": {"success": False, **failure.body}}


def _health(context: Any) -> dict[str, Any]:
    TELEMETRY.count(metric.HEALTH_CHECKS)
    return health(
        context, CONFIG, **CONFIG.describe(), cached_models=[identity.as_dict() for identity in MODELS.cached()]
    )

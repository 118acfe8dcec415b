"""Lambda entry point: `batch_predict.handler.lambda_handler`.

Thin on purpose: recognise the event, call one function, shape the answer (or raise, for
pipelines). Configuration, the S3 client, the model cache and Powertools objects are created
once per execution environment, at import (Lambda's init phase).

Direct invoke:   {"model_s3_uri", "data_s3_uri", "output_s3_uri", "prediction_column_name",
                  "feature_columns", "include_probabilities", "overwrite"}
                 -> {"statusCode": 200, "body": {"success": true, "predictions_generated", ...}}
                 errors -> {"statusCode": 400|500, "body": {"success": false, "error", "error_type"[, "request_id"]}}
                 {"action": "health"} -> {"statusCode": 200, "body": {"status": "ok", ...}}
                 {"action": "keep_warm"} / EventBridge schedule -> {"status": "warm"}
S3 notification, {"action": "plan_job", "job"}, Distributed Map {"Items", "BatchInput"}:
                 a result dict, or an exception named ValidationError / InternalError.
Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, dimension service): RowsPredicted,
JobsCompleted, JobsPlanned, OutputBytes, ModelLoads, ValidationErrors, InternalErrors, HealthChecks,
KeepWarmPings, and ColdStart.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config

from lambda_common.errors import ErrorResponse, error_response
from lambda_common.events import HEALTH, KEEP_WARM, PREDICT
from lambda_common.json_input import check_decoded
from batch_predict import events
from batch_predict.config import FunctionConfig
from batch_predict.errors import pipeline_error
from batch_predict.model_store import ModelStore
from batch_predict.predict import JobResult, run_job
from batch_predict.requests import JobRequest, MapBatch, PlanRequest
from batch_predict.s3_trigger import handle_notification
from batch_predict.step_functions import plan_job, run_map_batch

ROWS_PREDICTED = "RowsPredicted"
JOBS_COMPLETED = "JobsCompleted"
JOBS_PLANNED = "JobsPlanned"
OUTPUT_BYTES = "OutputBytes"
MODEL_LOADS = "ModelLoads"
VALIDATION_ERRORS = "ValidationErrors"
INTERNAL_ERRORS = "InternalErrors"
HEALTH_CHECKS = "HealthChecks"
KEEP_WARM_PINGS = "KeepWarmPings"

CONFIG = FunctionConfig.from_environ(os.environ)
logger = Logger(service=CONFIG.service_name)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
# boto3 reads the endpoint (AWS_ENDPOINT_URL_S3), region and credentials from the environment.
S3 = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))
MODELS = ModelStore(
    s3=S3,
    model_location=CONFIG.model_location,
    trusted_pickle_prefixes=CONFIG.trusted_pickle_prefixes,
    cache_size=CONFIG.model_cache_size,
    intra_op_threads=CONFIG.intra_op_threads,
)
logger.info("configured", extra=CONFIG.describe())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        kind = events.event_kind(event)
    except Exception as error:  # not even recognisable: answered, like any direct invoke
        return _answer(_failure(error, context))
    if kind in events.PIPELINE_KINDS:
        try:
            check_decoded(event)  # nesting, numbers, Unicode: before anything walks or re-encodes it
        except Exception as error:
            _failure(error, context)
            raise pipeline_error(error, request_id=getattr(context, "aws_request_id", None)) from error
    if kind == KEEP_WARM:
        metrics.add_metric(name=KEEP_WARM_PINGS, unit=MetricUnit.Count, value=1)
        return {"status": "warm"}
    if kind == HEALTH:
        return {"statusCode": 200, "body": _health(context)}
    if kind == PREDICT:
        try:
            check_decoded(event)
            return {"statusCode": 200, "body": _job(JobRequest.from_event(event)).as_body()}
        except Exception as error:  # a direct invoke is always answered, never raises
            return _answer(_failure(error, context))
    try:
        return _pipeline(kind, event)
    except Exception as error:  # a pipeline must see the failure to retry or record it
        _failure(error, context)
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
        metrics.add_metric(name=JOBS_PLANNED, unit=MetricUnit.Count, value=1)
    else:
        result = run_map_batch(MapBatch.from_event(event), s3=S3, models=MODELS, config=CONFIG)
    _count_model_loads(loads_before)
    if "predictions_generated" in result:
        metrics.add_metric(name=ROWS_PREDICTED, unit=MetricUnit.Count, value=result["predictions_generated"])
        metrics.add_metric(name=JOBS_COMPLETED, unit=MetricUnit.Count, value=len(result["outputs"]))
    logger.info(f"{kind} done", extra={key: value for key, value in result.items() if key != "batch_input"})
    return result


def _job(request: JobRequest) -> JobResult:
    loads_before = MODELS.downloads
    result = run_job(request, s3=S3, models=MODELS, config=CONFIG)
    _count_model_loads(loads_before)
    metrics.add_metric(name=ROWS_PREDICTED, unit=MetricUnit.Count, value=result.rows)
    metrics.add_metric(name=JOBS_COMPLETED, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=OUTPUT_BYTES, unit=MetricUnit.Bytes, value=result.bytes_written)
    logger.info("job done", extra=result.summary())
    return result


def _count_model_loads(before: int) -> None:
    if MODELS.downloads > before:
        metrics.add_metric(name=MODEL_LOADS, unit=MetricUnit.Count, value=MODELS.downloads - before)


def _failure(error: Exception, context: Any) -> ErrorResponse:
    """Every error goes through here: mapped, logged and counted once."""
    failure = error_response(error, request_id=getattr(context, "aws_request_id", None))
    if failure.is_internal:
        logger.exception("internal error")
        metrics.add_metric(name=INTERNAL_ERRORS, unit=MetricUnit.Count, value=1)
    else:
        logger.info("request rejected", extra={"status_code": failure.status_code, **failure.body})
        metrics.add_metric(name=VALIDATION_ERRORS, unit=MetricUnit.Count, value=1)
    return failure


def _answer(failure: ErrorResponse) -> dict[str, Any]:
    return {"statusCode": failure.status_code, "body": {"success": False, **failure.body}}


def _health(context: Any) -> dict[str, Any]:
    metrics.add_metric(name=HEALTH_CHECKS, unit=MetricUnit.Count, value=1)
    return {
        "status": "ok",
        "function_name": getattr(context, "function_name", None) or CONFIG.function_name,
        "function_version": getattr(context, "function_version", None) or CONFIG.function_version,
        **CONFIG.describe(),
        "cached_models": [identity.as_dict() for identity in MODELS.cached()],
    }

"""Lambda entry point: `sentiment.handler.lambda_handler`.

Thin on purpose: recognise the event, validate it, make one model call, shape the answer.
Configuration, Powertools logger and metrics, and the model are created once per execution
environment (at import, i.e. during Lambda's init phase), never per request.

Direct invoke:  {"texts": [str, ...]} -> {"statusCode": 200, "body": {"results": [{"sentiment", "score"}], "count"}}
                {"action": "health"} -> {"statusCode": 200, "body": {"status": "ok", "model": {...}, ...}}
                {"action": "keep_warm"} / EventBridge schedule -> {"status": "warm"} (no inference)
                errors -> {"statusCode": 4xx/500, "body": {"error", "error_type"[, "request_id"]}}
Function URL:   POST / and POST /predict with the same JSON body, GET /health
                -> {"statusCode", "headers", "body": JSON string}
Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, dimension service): TextsClassified,
ValidationErrors, InternalErrors, HealthChecks, KeepWarmPings, and ColdStart.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from lambda_common.errors import ErrorResponse, NotFoundError, ValidationError, error_response
from lambda_common.events import HEALTH, KEEP_WARM, check_function_url_event, is_function_url_event
from sentiment import events
from sentiment.config import FunctionConfig
from sentiment.inference import SentimentModel
from sentiment.model_store import resolve_model_dir
from sentiment.validation import Limits, check_size, direct_event_size, parse_json_body, parse_texts

TEXTS_CLASSIFIED = "TextsClassified"
VALIDATION_ERRORS = "ValidationErrors"
INTERNAL_ERRORS = "InternalErrors"
HEALTH_CHECKS = "HealthChecks"
KEEP_WARM_PINGS = "KeepWarmPings"
HTTP_ROUTES = "POST / or POST /predict with {\"texts\": [...]}, or GET /health"

CONFIG = FunctionConfig.from_environ(os.environ)
LIMITS = Limits(
    max_texts=CONFIG.max_texts,
    max_text_chars=CONFIG.max_text_chars,
    max_request_bytes=CONFIG.max_request_bytes,
)
logger = Logger(service=CONFIG.service_name)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
app = LambdaFunctionUrlResolver()

_started = time.perf_counter()
MODEL = SentimentModel.load(
    resolve_model_dir(CONFIG), intra_op_threads=CONFIG.intra_op_threads, batch_size=CONFIG.batch_size
)
logger.info(
    "model loaded",
    extra={
        "model": MODEL.identity.as_dict(),
        "model_source": CONFIG.model_source,
        "intra_op_threads": CONFIG.intra_op_threads,
        "load_ms": round((time.perf_counter() - _started) * 1000, 1),
    },
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if is_function_url_event(event):
        return _handle_http(event, context)
    return _handle_direct(event, context)


def _handle_http(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        check_function_url_event(event, for_resolver=True)  # a hand-written event sent by direct invoke may not be one
        return app.resolve(event, context)
    except Exception as error:  # a malformed event (or the resolver failing on one), not a route's error
        failure = _failure(error, context)
        return {
            "statusCode": failure.status_code,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(failure.body, ensure_ascii=False, separators=(",", ":")),
            "isBase64Encoded": False,
            "cookies": [],
        }


def _handle_direct(event: Any, context: Any) -> dict[str, Any]:
    try:
        kind = events.direct_event_kind(event)
        if kind == KEEP_WARM:
            metrics.add_metric(name=KEEP_WARM_PINGS, unit=MetricUnit.Count, value=1)
            return {"status": "warm"}
        if kind == HEALTH:
            return {"statusCode": 200, "body": _health(context)}
        check_size(direct_event_size(event), max_bytes=LIMITS.max_request_bytes)
        return {"statusCode": 200, "body": _classify(event)}
    except Exception as error:  # every failure is answered, none reaches Lambda
        failure = _failure(error, context)
        return {"statusCode": failure.status_code, "body": failure.body}


@app.post("/")
@app.post("/predict")
def _http_predict() -> Response:
    body = _http_body(app.current_event.raw_event)
    check_size(len(body), max_bytes=LIMITS.max_request_bytes)
    return _json_response(200, _classify(parse_json_body(body)))


@app.get("/health")
def _http_health() -> Response:
    return _json_response(200, _health(app.lambda_context))


@app.not_found
def _http_not_found(_: Exception) -> Response:
    event = app.current_event
    error = NotFoundError(f"no route {event.request_context.http.method} {event.path}: use {HTTP_ROUTES}")
    failure = _failure(error, app.lambda_context)
    return _json_response(failure.status_code, failure.body)


@app.exception_handler(Exception)
def _http_error(error: Exception) -> Response:
    failure = _failure(error, app.lambda_context)
    return _json_response(failure.status_code, failure.body)


def _failure(error: Exception, context: Any) -> ErrorResponse:
    """Every error of every transport goes through here: mapped, logged and counted once."""
    failure = error_response(error, request_id=getattr(context, "aws_request_id", None))
    if failure.is_internal:
        logger.exception("internal error")
        metrics.add_metric(name=INTERNAL_ERRORS, unit=MetricUnit.Count, value=1)
    else:
        logger.info("request rejected", extra={"status_code": failure.status_code, **failure.body})
        metrics.add_metric(name=VALIDATION_ERRORS, unit=MetricUnit.Count, value=1)
    return failure


def _classify(payload: Any) -> dict[str, Any]:
    texts = parse_texts(payload, LIMITS)
    started = time.perf_counter()
    predictions = MODEL.predict(texts)
    metrics.add_metric(name=TEXTS_CLASSIFIED, unit=MetricUnit.Count, value=len(texts))
    logger.info(
        "classified", extra={"texts": len(texts), "inference_ms": round((time.perf_counter() - started) * 1000, 2)}
    )
    return {"results": [prediction.as_dict() for prediction in predictions], "count": len(predictions)}


def _health(context: Any) -> dict[str, Any]:
    metrics.add_metric(name=HEALTH_CHECKS, unit=MetricUnit.Count, value=1)
    return {
        "status": "ok",
        "function_name": getattr(context, "function_name", None) or CONFIG.function_name,
        "function_version": getattr(context, "function_version", None) or CONFIG.function_version,
        "model": MODEL.identity.as_dict(),
        "model_source": CONFIG.model_source,
        "limits": {
            "max_texts": LIMITS.max_texts,
            "max_text_chars": LIMITS.max_text_chars,
            "max_request_bytes": LIMITS.max_request_bytes,
        },
        "batch_size": CONFIG.batch_size,
        "intra_op_threads": CONFIG.intra_op_threads,
    }


def _http_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""  # a string: check_function_url_event
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("request body is marked base64-encoded but is not valid base64") from None
    return body.encode("utf-8", "surrogatepass")


def _json_response(status_code: int, body: dict[str, Any]) -> Response:
    return Response(
        status_code=status_code,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    )

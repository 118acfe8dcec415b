"""Lambda entry point: `checkbox.handler.lambda_handler`.

Thin on purpose: recognise the event, validate the request, run the pages through the model,
shape the answer. Configuration, Powertools logger and metrics, and the model are created once
per execution environment (at import, i.e. during Lambda's init phase), never per request.

API Gateway REST proxy events (payload 1.0; also by direct invoke, as little as
{"httpMethod": "GET", "path": "/health"}), routed by the Powertools REST resolver:
  GET  /health   -> 200 {"status": "ok", "model": {path, sha256, input size, class names...}, ...}
  POST /uploads  -> 200 {"s3_key", "upload_url", "method": "PUT", "headers": {"Content-Type":
                    "application/octet-stream"}, "expires_in", "max_bytes"}: PUT a scan too large for a request body there, then predict
                    with {"s3_key": ...} (uploads.py; 404 when the function has no uploads bucket)
  POST /predict  -> 200 {"pages": [{"page", "width", "height", "detections": [{"class_id",
                    "class_name", "confidence", "box": {"x1", "y1", "x2", "y2"}}]}],
                    "model": {"sha256", "input": {"width", "height"}, "class_names"},
                    "thresholds": {"conf", "iou"},
                    "timing_ms": {"decode", "preprocess", "inference", "postprocess"}}
                    (request bodies: see request.py; boxes in original image pixels)
  errors         -> 400 {"error": "<what to fix>", "error_type": "ValidationError"}, 404 NotFound
                    (no such route; an s3_key not uploaded or expired),
                    500 {"error": "internal error", "error_type": "InternalError", "request_id"}
Direct invoke:  {"action": "keep_warm"} or an EventBridge schedule -> {"status": "warm"} (no
                inference, no resolver); {"action": "health"} -> as GET /health.
Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, dimension service): ImagesProcessed,
PagesProcessed, Detections, UploadsIssued, ValidationErrors, InternalErrors, HealthChecks,
KeepWarmPings, and ColdStart.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from checkbox import events
from checkbox.config import FunctionConfig
from checkbox.detector import Detector
from checkbox.imaging import ImageLimits, configure_pillow
from checkbox.model_store import resolve_model_path
from checkbox.pipeline import detect
from checkbox.request import PredictRequest, RequestLimits, body_bytes, media_type, parse_predict
from checkbox.responses import json_response, proxy_response
from checkbox.uploads import Uploads
from lambda_common.errors import ErrorResponse, NotFoundError, ValidationError, error_response
from lambda_common.events import check_rest_proxy_event
from lambda_common.json_input import check_decoded

IMAGES_PROCESSED = "ImagesProcessed"
PAGES_PROCESSED = "PagesProcessed"
DETECTIONS = "Detections"
VALIDATION_ERRORS = "ValidationErrors"
INTERNAL_ERRORS = "InternalErrors"
HEALTH_CHECKS = "HealthChecks"
KEEP_WARM_PINGS = "KeepWarmPings"
UPLOADS_ISSUED = "UploadsIssued"
HTTP_ROUTES = "GET /health, POST /uploads or POST /predict"
BINARY_MEDIA_PREFIXES = ("multipart/", "image/", "application/octet-stream")

CONFIG = FunctionConfig.from_environ(os.environ)
IMAGE_LIMITS = ImageLimits(max_pixels=CONFIG.max_image_pixels, max_pages=CONFIG.max_pages)
REQUEST_LIMITS = RequestLimits(
    max_body_bytes=CONFIG.max_body_bytes, default_conf=CONFIG.default_conf, default_iou=CONFIG.default_iou
)
UPLOADS = Uploads(CONFIG.uploads) if CONFIG.uploads is not None else None
configure_pillow(CONFIG.max_image_pixels)
logger = Logger(service=CONFIG.service_name)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
app = APIGatewayRestResolver()

_started = time.perf_counter()
DETECTOR = Detector.load(
    resolve_model_path(CONFIG), intra_op_threads=CONFIG.intra_op_threads, source=CONFIG.model_source
)
logger.info(
    "model loaded",
    extra={
        "model": DETECTOR.identity.as_dict(),
        "intra_op_threads": CONFIG.intra_op_threads,
        "load_ms": round((time.perf_counter() - _started) * 1000, 1),
    },
)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if events.is_keep_warm(event):
        metrics.add_metric(name=KEEP_WARM_PINGS, unit=MetricUnit.Count, value=1)
        return {"status": "warm"}
    if events.is_health_action(event):
        event = events.health_event()
    if events.is_rest_event(event):
        return _handle_http(event, context)
    failure = _failure(
        ValidationError(
            f"unrecognised event: send an API Gateway proxy event such as {events.EXAMPLE},"
            ' or {"action": "keep_warm"}'
        ),
        context,
    )
    return proxy_response(failure)


def _handle_http(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        # A hand-written event sent by direct invoke: every key must have API Gateway's type.
        check_decoded(event)
        check_rest_proxy_event(event)
        complete = events.complete_rest_event(event, request_id=getattr(context, "aws_request_id", None))
        return app.resolve(complete, context)
    except Exception as error:  # a malformed event the resolver cannot read (a route's errors are handled below)
        return proxy_response(_failure(error, context))


@app.get("/health")
def _http_health() -> Response:
    return json_response(200, _health(app.lambda_context))


@app.post("/uploads")
def _http_uploads() -> Response:
    # The body is not read: an upload needs nothing from the caller but its authentication.
    if UPLOADS is None:
        raise NotFoundError("uploads are not enabled on this function (no UPLOADS_BUCKET): send the image in the request")
    upload = UPLOADS.new_upload()
    metrics.add_metric(name=UPLOADS_ISSUED, unit=MetricUnit.Count, value=1)
    logger.info("upload issued", extra={"s3_key": upload["s3_key"], "expires_in": upload["expires_in"]})
    return json_response(200, upload)


@app.post("/predict")
def _http_predict() -> Response:
    event = app.current_event
    started = time.perf_counter()
    content_type = event.headers.get("content-type")
    body = body_bytes(event.raw_event, max_bytes=REQUEST_LIMITS.max_body_bytes)
    try:
        request = parse_predict(body, content_type=content_type, query=event.query_string_parameters, limits=REQUEST_LIMITS)
        return json_response(200, _predict(request, parse_ms=(time.perf_counter() - started) * 1000))
    except ValidationError as error:
        if not body or event.raw_event.get("isBase64Encoded") or not media_type(content_type).startswith(BINARY_MEDIA_PREFIXES):
            raise
        # A binary body API Gateway did not base64-encode reached us as text, its bytes mangled.
        raise ValidationError(
            f"{error.message} (the {media_type(content_type)} body arrived as text, not base64: the API must"
            " declare multipart/form-data and image/* as binary media types)"
        ) from None


@app.not_found
def _http_not_found(_: Exception) -> Response:
    event = app.current_event
    error = NotFoundError(f"no route {event.http_method} {event.path}: use {HTTP_ROUTES}")
    failure = _failure(error, app.lambda_context)
    return json_response(failure.status_code, failure.body)


@app.exception_handler(Exception)
def _http_error(error: Exception) -> Response:
    failure = _failure(error, app.lambda_context)
    return json_response(failure.status_code, failure.body)


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


def _predict(request: PredictRequest, *, parse_ms: float) -> dict[str, Any]:
    image, read_ms = request.image, 0.0
    if request.s3_key is not None:
        if UPLOADS is None:
            raise ValidationError("this function has no uploads bucket (UPLOADS_BUCKET): send the image inline as 'image'")
        started = time.perf_counter()
        image = UPLOADS.read_upload(request.s3_key)
        read_ms = (time.perf_counter() - started) * 1000
    result = detect(
        image, detector=DETECTOR, limits=IMAGE_LIMITS, conf=request.conf, iou=request.iou,
        max_detections=CONFIG.max_detections, decode_ms=parse_ms + read_ms,
    )  # fmt: skip
    metrics.add_metric(name=IMAGES_PROCESSED, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=PAGES_PROCESSED, unit=MetricUnit.Count, value=len(result.pages))
    metrics.add_metric(name=DETECTIONS, unit=MetricUnit.Count, value=result.detection_count)
    rounded = {stage: round(ms, 2) for stage, ms in result.timing_ms.items()}
    logger.info(
        "detected",
        extra={"format": result.image_format, "source": request.source, "pages": len(result.pages),
               "detections": result.detection_count, "conf": request.conf, "iou": request.iou, "timing_ms": rounded},
    )  # fmt: skip
    return {
        "pages": result.pages,
        "model": _model_summary(),
        "thresholds": {"conf": request.conf, "iou": request.iou},
        "timing_ms": rounded,
    }


def _model_summary() -> dict[str, Any]:
    identity = DETECTOR.identity
    return {
        "sha256": identity.sha256,
        "input": {"width": identity.input_width, "height": identity.input_height},
        "class_names": list(identity.class_names),
    }


def _health(context: Any) -> dict[str, Any]:
    metrics.add_metric(name=HEALTH_CHECKS, unit=MetricUnit.Count, value=1)
    return {
        "status": "ok",
        "function_name": getattr(context, "function_name", None) or CONFIG.function_name,
        "function_version": getattr(context, "function_version", None) or CONFIG.function_version,
        "model": DETECTOR.identity.as_dict(),
        "limits": {
            "max_body_bytes": CONFIG.max_body_bytes,
            "max_image_pixels": CONFIG.max_image_pixels,
            "max_pages": CONFIG.max_pages,
            "max_detections": CONFIG.max_detections,
            "max_upload_bytes": CONFIG.uploads.max_upload_bytes if CONFIG.uploads else None,
        },
        "defaults": {"conf": CONFIG.default_conf, "iou": CONFIG.default_iou},
        "intra_op_threads": CONFIG.intra_op_threads,
    }

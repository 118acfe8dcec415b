"""Lambda entry point `checkbox.handler.lambda_handler`: recognise the event, validate, one call
(pipeline.py), shape the answer; configuration, telemetry and the model are made at import.

API Gateway REST proxy events (payload 1.0; by direct invoke too, e.g. {"httpMethod": "GET",
"path": "/health"}): GET /health, POST /uploads (a presigned PUT for a scan too large for a
body: uploads.py), POST /predict (an image inline or {"s3_key"}: pipeline.py). Direct
{"action": "keep_warm"} or an EventBridge schedule -> {"status": "warm"}; {"action": "health"}
-> GET /health. Request and answer shapes, errors and metrics: docs/checkbox.md.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from checkbox import events
from checkbox.config import FunctionConfig
from checkbox.detector import Detector
from checkbox.imaging import ImageLimits, configure
from checkbox.model_store import resolve_model_path
from checkbox.pipeline import detect_http_request, predict_answer
from checkbox.request import RequestLimits
from checkbox.uploads import Uploads, issue_upload
from lambda_common import metric_names as metric
from lambda_common.errors import ValidationError
from lambda_common.events import check_rest_proxy_event
from lambda_common.json_input import check_decoded
from lambda_common.responses import answer_route_errors, health, json_response, rest_proxy_response
from lambda_common.telemetry import Telemetry

HTTP_ROUTES = "GET /health, POST /uploads or POST /predict"

CONFIG = FunctionConfig.from_environ(os.environ)
IMAGE_LIMITS = ImageLimits(max_pixels=CONFIG.max_image_pixels, max_pages=CONFIG.max_pages)
REQUEST_LIMITS = RequestLimits(
    max_body_bytes=CONFIG.max_body_bytes, default_conf=CONFIG.default_conf, default_iou=CONFIG.default_iou
)
UPLOADS = Uploads(CONFIG.uploads) if CONFIG.uploads is not None else None
configure(max_pixels=CONFIG.max_image_pixels, threads=CONFIG.intra_op_threads)
TELEMETRY = Telemetry.powertools(CONFIG)
logger, metrics = TELEMETRY.logger, TELEMETRY.metrics
app = APIGatewayRestResolver()

DETECTOR = TELEMETRY.load_model(
    lambda: Detector.load(
        resolve_model_path(CONFIG), intra_op_threads=CONFIG.intra_op_threads, source=CONFIG.model_source
    ),
    intra_op_threads=CONFIG.intra_op_threads,
)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if events.is_keep_warm(event):
        TELEMETRY.count(metric.KEEP_WARM_PINGS)
        return {"status": "warm"}
    event = events.health_event() if events.is_health_action(event) else event
    try:
        if not events.is_rest_event(event):
            raise ValidationError(
                f'unrecognised event: send an API Gateway proxy event such as {events.EXAMPLE}, or {{"action": "keep_warm"}}'
            )
        check_decoded(event)  # a hand-written event sent by direct invoke: every key must have API Gateway's type
        check_rest_proxy_event(event)
        return app.resolve(
            events.complete_rest_event(event, request_id=getattr(context, "aws_request_id", None)), context
        )
    except Exception as error:  # an event the resolver cannot read (a route's errors are handled below)
        failure = TELEMETRY.failure(error, context)
        return rest_proxy_response(failure.status_code, failure.body)


@app.get("/health")
def _http_health() -> Response:
    TELEMETRY.count(metric.HEALTH_CHECKS)
    return json_response(
        200, health(app.lambda_context, CONFIG, model=DETECTOR.identity.as_dict(), **CONFIG.health_fields())
    )


@app.post("/uploads")
def _http_uploads() -> Response:
    upload = issue_upload(UPLOADS)  # the body is not read: an upload needs only the caller's authentication
    TELEMETRY.count(metric.UPLOADS_ISSUED)
    logger.info("upload issued", extra={"s3_key": upload["s3_key"], "expires_in": upload["expires_in"]})
    return json_response(200, upload)


@app.post("/predict")
def _http_predict() -> Response:
    event = app.current_event
    request, result = detect_http_request(
        event.raw_event,
        content_type=event.headers.get("content-type"),
        query=event.query_string_parameters,
        detector=DETECTOR,
        uploads=UPLOADS,
        request_limits=REQUEST_LIMITS,
        image_limits=IMAGE_LIMITS,
        max_detections=CONFIG.max_detections,
    )
    TELEMETRY.count_all(result.metric_counts())
    logger.info("detected", extra=result.log_fields(request))
    return json_response(200, predict_answer(result, request, detector=DETECTOR))


answer_route_errors(app, TELEMETRY, routes=HTTP_ROUTES)

"""Lambda entry point `sentiment.handler.lambda_handler`: recognise the event, validate it, one model
call, shape the answer; configuration, telemetry and the model are made at import (init phase).

Direct invoke:  {"texts": [str, ...]} -> {"statusCode": 200, "body": {"results": [{"sentiment", "score"}], "count"}}
                {"action": "health"} -> {"statusCode": 200, "body": {"status": "ok", "model": {...}, ...}}
                {"action": "keep_warm"} / EventBridge schedule -> {"status": "warm"} (no inference)
                errors -> {"statusCode": 4xx/500, "body": {"error", "error_type"[, "request_id"]}}
Function URL:   POST / and POST /predict with the same JSON body, GET /health -> an HTTP answer, JSON text.
Metrics and the rest of the contract: docs/sentiment.md.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

from lambda_common.events import HEALTH, KEEP_WARM, check_function_url_event, is_function_url_event
from lambda_common.metric_names import HEALTH_CHECKS, KEEP_WARM_PINGS, TEXTS_CLASSIFIED
from lambda_common.responses import answer_route_errors, function_url_response, health, json_response
from lambda_common.telemetry import Telemetry
from sentiment import events
from sentiment.config import FunctionConfig
from sentiment.inference import SentimentModel
from sentiment.model_store import resolve_model_dir
from sentiment.validation import check_size, direct_event_size, http_body, parse_json_body, parse_texts

HTTP_ROUTES = 'POST / or POST /predict with {"texts": [...]}, or GET /health'

CONFIG = FunctionConfig.from_environ(os.environ)
TELEMETRY = Telemetry.powertools(CONFIG)
logger, metrics = TELEMETRY.logger, TELEMETRY.metrics
app = LambdaFunctionUrlResolver()

MODEL = TELEMETRY.load_model(
    lambda: SentimentModel.load(
        resolve_model_dir(CONFIG), intra_op_threads=CONFIG.intra_op_threads, batch_size=CONFIG.batch_size
    ),
    model_source=CONFIG.model_source,
    intra_op_threads=CONFIG.intra_op_threads,
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if is_function_url_event(event):
        try:
            # A hand-written event sent by direct invoke may not be one.
            check_function_url_event(event, for_resolver=True)
            return app.resolve(event, context)
        except Exception as error:  # a malformed event (or the resolver failing on one), not a route's error
            failure = TELEMETRY.failure(error, context)
            return function_url_response(failure.status_code, failure.body)
    try:
        kind = events.direct_event_kind(event)
        if kind == KEEP_WARM:
            TELEMETRY.count(KEEP_WARM_PINGS)
            return {"status": "warm"}
        if kind == HEALTH:
            return {"statusCode": 200, "body": _health(context)}
        check_size(direct_event_size(event), max_bytes=CONFIG.max_request_bytes)
        return {"statusCode": 200, "body": _classify(event)}
    except Exception as error:  # every failure is answered, none reaches Lambda
        failure = TELEMETRY.failure(error, context)
        return {"statusCode": failure.status_code, "body": failure.body}


@app.post("/")
@app.post("/predict")
def _http_predict() -> Response:
    body = http_body(app.current_event.raw_event)
    check_size(len(body), max_bytes=CONFIG.max_request_bytes)
    return json_response(200, _classify(parse_json_body(body)))


@app.get("/health")
def _http_health() -> Response:
    return json_response(200, _health(app.lambda_context))


answer_route_errors(app, TELEMETRY, routes=HTTP_ROUTES)


def _classify(payload: Any) -> dict[str, Any]:
    texts = parse_texts(payload, max_texts=CONFIG.max_texts, max_text_chars=CONFIG.max_text_chars)
    started = time.perf_counter()
    predictions = MODEL.predict(texts)
    inference_ms = round((time.perf_counter() - started) * 1000, 2)
    TELEMETRY.count(TEXTS_CLASSIFIED, len(texts))
    logger.info("classified", extra={"texts": len(texts), "inference_ms": inference_ms})
    return {"results": [prediction.as_dict() for prediction in predictions], "count": len(predictions)}


def _health(context: Any) -> dict[str, Any]:
    TELEMETRY.count(HEALTH_CHECKS)
    return health(
        context,
        CONFIG,
        model=MODEL.identity.as_dict(),
        model_source=CONFIG.model_source,
        limits=CONFIG.request_limits(),
        batch_size=CONFIG.batch_size,
        intra_op_threads=CONFIG.intra_op_threads,
    )

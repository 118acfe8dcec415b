"""Lambda entry point: `mask_predictor.handler.lambda_handler`.

Thin on purpose: recognise the event, validate it, make one predictor call, shape the answer.
Configuration, logger, metrics writer and the model are created once per execution
environment (at import, i.e. during Lambda's init phase), never per request.

Direct invoke:  {"mask_name": str} -> result          {"mask_names": [str]} -> {"results", "count"}
                {"action": "health"} -> health         {"action": "keep_warm"} / schedule -> {"status": "warm"}
                errors -> {"statusCode": 4xx/500, "error", "error_type"[, "request_id"]}
Function URL:   GET /health, POST / and POST /predict -> {"statusCode", "headers", "body": JSON}
"""

from __future__ import annotations

import logging
import os

from lambda_common.errors import error_response
from lambda_common.events import HEALTH, KEEP_WARM, is_function_url_event
from lambda_common.metric_names import INTERNAL_ERRORS, NAMES_PREDICTED, VALIDATION_ERRORS
from lambda_common.responses import health
from mask_predictor import events, http_api
from mask_predictor.config import FunctionConfig
from mask_predictor.metrics import MetricsWriter
from mask_predictor.predictor import MaskPredictor
from mask_predictor.validation import parse_prediction_request

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONFIG = FunctionConfig.from_environ(os.environ)
# Lambda's JSON log format formats stdlib records itself; only the level is ours to set.
LOGGER = logging.getLogger(CONFIG.service_name)
LOGGER.setLevel(CONFIG.log_level)
METRICS = MetricsWriter(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
PREDICTOR = MaskPredictor.from_directory(CONFIG.model_dir)
LOGGER.info("model loaded", extra={"model": PREDICTOR.identity})


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    request_id = getattr(context, "aws_request_id", None)
    counts: dict[str, int] = {}
    is_http = is_function_url_event(event)
    try:
        if is_http:
            response = _handle_http(event, context, counts)
        else:
            response = _handle_direct(event, context, counts)
    except Exception as error:  # every failure is answered, none reaches Lambda
        failure = error_response(error, request_id=request_id)
        if failure.is_internal:
            LOGGER.exception("internal error", extra={"request_id": request_id})
            counts[INTERNAL_ERRORS] = 1
        else:
            LOGGER.info(
                "request rejected",
                extra={"error_type": failure.body["error_type"], "error": failure.body["error"]},
            )
            counts[VALIDATION_ERRORS] = 1
        if is_http:
            response = http_api.response(failure.status_code, failure.body, failure.headers)
        else:
            response = {"statusCode": failure.status_code, **failure.body}
    METRICS.publish(counts, properties={"request_id": request_id})
    return response


def _handle_direct(event: Any, context: Any, counts: dict[str, int]) -> dict[str, Any]:
    kind = events.direct_event_kind(event)
    if kind == KEEP_WARM:
        return {"status": "warm"}
    if kind == HEALTH:
        return _health(context)
    events.check_direct_event_size(event, max_bytes=CONFIG.max_request_bytes)
    return _predict(event, counts)


def _handle_http(event: dict[str, Any], context: Any, counts: dict[str, int]) -> dict[str, Any]:
    request = http_api.parse_request(event)
    if http_api.route(request) == HEALTH:
        return http_api.response(200, _health(context))
    payload = http_api.json_body(request, max_bytes=CONFIG.max_request_bytes)
    return http_api.response(200, _predict(payload, counts))


def _predict(payload: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    request = parse_prediction_request(
        payload, max_batch_names=CONFIG.max_batch_names, max_name_chars=CONFIG.max_name_chars
    )
    if request.is_batch:
        results = PREDICTOR.predict_many(request.names)
        answer: dict[str, Any] = {"results": results, "count": len(results)}
    else:
        answer = PREDICTOR.predict(request.names[0])
    counts[NAMES_PREDICTED] = len(request.names)
    LOGGER.debug("predicted", extra={"names": len(request.names), "batch": request.is_batch})
    return answer


def _health(context: Any) -> dict[str, Any]:
    return health(context, CONFIG, model=PREDICTOR.identity)

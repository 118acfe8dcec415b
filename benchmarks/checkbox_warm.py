"""The checkbox function's side of the benchmark: a worker process that answers pages through
`checkbox.handler.lambda_handler`, started by benchmarks/checkbox.py with the function's
environment (MODEL_PATH, the stack's MAX_IMAGE_PIXELS and MAX_PAGES, 3008 MB -> 2 onnxruntime
threads) under the benchmark's interpreter (.venv-bench: the function's dependency versions).

    python -m benchmarks.checkbox_warm --log function.log     # then JSON lines on stdin/stdout

Protocol (one JSON object per line): the worker first writes {"ready": ..., "model": ...,
"intra_op_threads": ...}; each request {"path", "content_type", "repeats", "warmup"} is answered
with {"status": 200, "times_ms": [...], "detections": [[class_id, confidence, x1, y1, x2, y2], ...],
"stages_ms": [the handler's own timing_ms of each timed call]} (a refusal: {"status": 400,
"error": {...}}, not retried); {"quit": true} ends it. The parent sends the same page to this worker and
to the ultralytics worker in turn, so both sides meet the machine in the same state.

What one timed call is: POST /predict as API Gateway (REST API, payload 1.0) hands it to Lambda,
the raw image as the body (Content-Type image/jpeg or image/png, a binary media type, so
base64-encoded with isBase64Encoded true); the clock runs from handing the event to
`lambda_handler` until the runtime would have its answer as JSON text (`json.dumps` of the
returned proxy response included): base64, decoding, resizing, inference, NMS, response JSON,
the function's log lines and metrics. The event is built before the clock starts (API
Gateway's work, not the function's).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tools.local_serve.http_events import HttpRequest, rest_proxy_event

API_KEY = "benchmark-key"


class Context:
    function_name = "checkbox-benchmark"
    function_version = "$LATEST"
    memory_limit_in_mb = 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:checkbox-benchmark"
    aws_request_id = "benchmark"


def proxy_event(image: bytes, *, content_type: str) -> dict[str, Any]:
    """POST /predict with the image itself as the body, as API Gateway (stage v1, API key) hands it
    to Lambda: the event `make serve` builds for the same request (tools/local_serve/http_events)."""
    headers = [
        ("Host", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
        ("Content-Type", content_type),
        ("Content-Length", str(len(image))),
        ("x-api-key", API_KEY),
    ]
    request = HttpRequest(
        method="POST",
        path="/predict",
        query="",
        headers=headers,
        body=image,
        source_ip="203.0.113.7",
        protocol="HTTP/1.1",
        request_id=str(uuid.uuid4()),
    )
    # The stack declares image/* binary (stacks/checkbox.py): the image arrives base64-encoded.
    return rest_proxy_event(request, resource="/predict", stage="v1", binary_media_types=("image/*",), api_key=API_KEY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", type=Path, required=True, help="where the function's log lines go")
    parser.add_argument(
        "--lift-body-limit",
        action="store_true",
        help="replace the handler's request limits with a body limit of 1 TiB (in process: the configuration"
        " caps MAX_BODY_BYTES at Lambda's 6 MiB payload), for pages no deployment can receive",
    )
    arguments = parser.parse_args()
    protocol = sys.stdout
    log = arguments.log.open("w")
    sys.stdout = log  # Powertools logs and EMF metrics, as Lambda would collect them
    from checkbox import handler

    if arguments.lift_body_limit:
        handler.REQUEST_LIMITS = dataclasses.replace(handler.REQUEST_LIMITS, max_body_bytes=1 << 40)

    def answer(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    answer(
        {
            "ready": True,
            "model": handler.DETECTOR.identity.as_dict(),
            "intra_op_threads": handler.CONFIG.intra_op_threads,
            "max_image_pixels": handler.CONFIG.max_image_pixels,
            "defaults": {"conf": handler.CONFIG.default_conf, "iou": handler.CONFIG.default_iou},
        }
    )
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        answer(run_page(handler.lambda_handler, request))
    log.close()


def run_page(lambda_handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    event = proxy_event(Path(request["path"]).read_bytes(), content_type=request["content_type"])
    context = Context()
    times, stages = [], []
    for call in range(request["warmup"] + request["repeats"]):
        started = time.perf_counter_ns()
        response = lambda_handler(event, context)
        answered = json.dumps(response)  # what the runtime sends back
        elapsed = (time.perf_counter_ns() - started) / 1e6
        response = json.loads(answered)
        body = json.loads(response["body"])
        if response["statusCode"] != 200:  # e.g. a page over the body limit: reported, not hidden
            return {
                "status": response["statusCode"],
                "error": body,
                "times_ms": [elapsed],
                "detections": [],
                "stages_ms": [],
            }
        if call >= request["warmup"]:
            times.append(elapsed)
            stages.append(body["timing_ms"])
    detections = [
        [d["class_id"], d["confidence"], d["box"]["x1"], d["box"]["y1"], d["box"]["x2"], d["box"]["y2"]]
        for page in body["pages"]
        for d in page["detections"]
    ]
    return {"status": 200, "times_ms": times, "detections": detections, "stages_ms": stages}


if __name__ == "__main__":
    main()

"""The checkbox benchmark's warm measurements, run in a process of their own (benchmarks/checkbox.py
starts it with the function's environment: MODEL_PATH, 3008 MB of memory -> 2 threads).

    python -m benchmarks.checkbox_warm --images images.json --output warm.json [--repeats 30]

Each image is POSTed to /predict through `checkbox.handler.lambda_handler` as API Gateway
delivers it: a REST proxy event (payload 1.0) with the multipart/form-data body base64-encoded.
Formats take turns call by call, so a slow moment of the machine hits all of them alike.
Per call: the handler's wall time, and its own timing_ms (decode, preprocess, inference,
postprocess); the handler's overhead is wall time minus inference. Right after each call the
onnxruntime session is also timed alone, on the same input tensor and on a blank page, so
all three are measured under the same conditions of a shared machine. The decoding
strategies the runtime chose are timed against the plain ones they replace.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import summarize, time_calls

BOUNDARY = "----WebKitFormBoundaryBenchmark7MA4"


class Context:
    function_name = "checkbox-benchmark"
    function_version = "$LATEST"
    memory_limit_in_mb = 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:checkbox-benchmark"
    aws_request_id = "benchmark"


def proxy_event(image: bytes, *, filename: str, content_type: str, conf: str = "0.25") -> dict[str, Any]:
    """POST /predict as API Gateway (stage v1, API key) hands it to Lambda."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + image + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="conf"\r\n\r\n{conf}\r\n--{BOUNDARY}--\r\n'.encode()
    headers = {
        "Accept": "*/*",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(len(body)),
        "Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "python-requests/2.32.3",
        "X-Forwarded-Proto": "https",
        "x-api-key": "benchmark-key",
    }
    return {
        "resource": "/predict",
        "path": "/predict",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "httpMethod": "POST",
            "identity": {"apiKey": "benchmark-key", "apiKeyId": "abc123", "sourceIp": "203.0.113.7"},
            "path": "/v1/predict",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "resourcePath": "/predict",
            "stage": "v1",
        },
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, required=True, help='JSON: {"name": {"path", "filename", "content_type"}}')
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--log", type=Path, required=True, help="where the function's log lines go")
    arguments = parser.parse_args()
    images = json.loads(arguments.images.read_text())

    log = arguments.log.open("w")
    real_stdout, sys.stdout = sys.stdout, log  # Powertools logs and EMF metrics, as Lambda would collect them
    from checkbox import handler
    from checkbox.imaging import ImageLimits, open_image, scaled_pages

    events = {
        name: proxy_event(Path(spec["path"]).read_bytes(), filename=spec["filename"], content_type=spec["content_type"])
        for name, spec in images.items()
    }
    for name, event in events.items():  # warm-up calls, and a check that each is answered
        for _ in range(arguments.warmup):
            response = handler.lambda_handler(event, Context())
            assert response["statusCode"] == 200, (name, response["body"][:500])

    # The model's input for each image, to time session.run alone on exactly what the handler
    # feeds it, and a blank page (mid grey: the letterbox padding) for comparison.
    limits = ImageLimits(max_pixels=handler.CONFIG.max_image_pixels, max_pages=handler.CONFIG.max_pages)
    width, height = handler.DETECTOR.input_size
    tensors = {}
    for name, spec in images.items():
        data = Path(spec["path"]).read_bytes()
        (page,) = scaled_pages(open_image(data, limits=limits), input_width=width, input_height=height, limits=limits)
        tensors[name] = page.letterbox.tensor(page.pixels)
    blank = np.full((1, 3, height, width), 114 / 255, dtype=np.float32)

    def session_ms(tensor: np.ndarray) -> float:
        started = time.perf_counter_ns()
        handler.DETECTOR.run(tensor)
        return (time.perf_counter_ns() - started) / 1e6

    calls: dict[str, list[dict[str, Any]]] = {name: [] for name in events}
    for _ in range(arguments.repeats):
        for name, event in events.items():
            started = time.perf_counter_ns()
            response = handler.lambda_handler(event, Context())
            total_ms = (time.perf_counter_ns() - started) / 1e6
            body = json.loads(response["body"])
            calls[name].append(
                {
                    "total_ms": total_ms,
                    "timing_ms": body["timing_ms"],
                    "detections": sum(len(page["detections"]) for page in body["pages"]),
                    # timed right after the call, under the same conditions:
                    "session_alone_ms": session_ms(tensors[name]),
                    "session_blank_ms": session_ms(blank),
                }
            )

    results: dict[str, Any] = {}
    for name, spec in images.items():
        data = Path(spec["path"]).read_bytes()
        made = calls[name]
        overhead = [c["total_ms"] - c["timing_ms"]["inference"] for c in made]
        stage = lambda key: summarize([c["timing_ms"][key] for c in made])  # noqa: E731
        accounted = [sum(c["timing_ms"].values()) for c in made]
        results[name] = {
            "bytes": len(data),
            "detections": made[0]["detections"],
            "total": summarize([c["total_ms"] for c in made]),
            "inference_in_handler": stage("inference"),
            "session_run_alone": summarize([c["session_alone_ms"] for c in made]),
            "session_run_blank_page": summarize([c["session_blank_ms"] for c in made]),
            "overhead": summarize(overhead),
            "stages": {key: stage(key) for key in ("decode", "preprocess", "postprocess")},
            "outside_stages": summarize([c["total_ms"] - a for c, a in zip(made, accounted, strict=True)]),
        }
    results_strategies = decoding_strategies(images, repeats=max(10, arguments.repeats // 2), input_size=(width, height))
    sys.stdout = real_stdout
    log.close()
    arguments.output.write_text(json.dumps({"formats": results, "decoding_strategies": results_strategies}, indent=2))


def decoding_strategies(images: dict[str, Any], *, repeats: int, input_size: tuple[int, int]) -> dict[str, Any]:
    """The runtime's decode-at-scale choices against what they replace, from bytes to RGB pixels
    at the model's scale (letterbox content size)."""
    from PIL import Image

    from checkbox.imaging import ImageLimits, open_image, scaled_pages
    from checkbox.yolo import Letterbox

    limits = ImageLimits(max_pixels=40_000_000, max_pages=20)

    def ours(data: bytes) -> None:
        list(scaled_pages(open_image(data, limits=limits), input_width=input_size[0], input_height=input_size[1], limits=limits))

    def plain(data: bytes, *, resample: Image.Resampling) -> None:
        """Full-resolution decode, convert to RGB, one resize (what a straightforward port does)."""
        image = Image.open(io.BytesIO(data))
        image.load()
        box = Letterbox.fit(*image.size, input_width=input_size[0], input_height=input_size[1])
        image.convert("RGB").resize((box.new_width, box.new_height), resample)

    def jpeg_entropy_floor(data: bytes) -> None:
        """Decoding at 1/8 scale: libjpeg must still entropy-decode every coefficient."""
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (1, 1))
        image.load()

    def png_inflate_floor(data: bytes) -> None:
        """zlib alone on the image data (one deflate stream: no scaled or parallel decoding)."""
        position, chunks = 8, []
        while position < len(data):
            length = int.from_bytes(data[position : position + 4], "big")
            if data[position + 4 : position + 8] == b"IDAT":
                chunks.append(data[position + 8 : position + 8 + length])
            position += 12 + length
        zlib.decompress(b"".join(chunks))

    found: dict[str, Any] = {}
    for name, spec in images.items():
        data = Path(spec["path"]).read_bytes()
        body = base64.b64encode(data).decode("ascii")
        variants = {
            "ours": lambda _: ours(data),
            "full decode + bilinear resize": lambda _: plain(data, resample=Image.Resampling.BILINEAR),
            "floor: base64 of the body": lambda _: base64.b64decode(body, validate=True),
        }
        if name == "JPEG":
            variants["floor: entropy decoding (1/8 scale)"] = lambda _: jpeg_entropy_floor(data)
        if name == "PNG":
            variants["floor: zlib inflate alone"] = lambda _: png_inflate_floor(data)
        found[name] = {variant: summarize(time_calls(call, iterations=repeats, warmup=2)) for variant, call in variants.items()}
    return found


if __name__ == "__main__":
    main()

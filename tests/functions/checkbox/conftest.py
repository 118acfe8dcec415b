"""Fixtures for the checkbox function: the committed fixture models, the handler imported as
Lambda would import it, a Lambda context, API Gateway REST proxy events (payload 1.0, the
shape AWS documents, as the API's stage `v1` with an API key delivers them), multipart
bodies, test images, and the metrics the handler prints."""

from __future__ import annotations

import base64
import importlib
import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PIL import Image, ImageDraw

from checkbox.detector import Detector
from tools.local_lambda import LocalLambdaContext

REPO_ROOT = Path(__file__).resolve().parents[3]
FUNCTION_DIR = REPO_ROOT / "functions" / "checkbox"
FIXTURES_DIR = REPO_ROOT / "fixtures" / "checkbox"
TINY_MODEL = FIXTURES_DIR / "yolov8_tiny" / "model.onnx"  # what the image bakes in by default
KNOWN_V8_MODEL = FIXTURES_DIR / "known_output" / "v8" / "model.onnx"
KNOWN_V5_MODEL = FIXTURES_DIR / "known_output" / "v5" / "model.onnx"
KNOWN_RECT_MODEL = FIXTURES_DIR / "known_output" / "v8_rect" / "model.onnx"
FUNCTION_NAME = "checkbox-test"
API_ID = "a1b2c3d4e5"
STAGE = "v1"

# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_PATH": str(TINY_MODEL),
    "POWERTOOLS_SERVICE_NAME": "checkbox",
    "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
    "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
}
# Read by the function: must not leak in from the developer's shell.
UNSET_VARIABLES = (
    "MODEL_S3_URI", "MAX_IMAGE_PIXELS", "MAX_PAGES", "MAX_BODY_BYTES", "DEFAULT_CONF", "DEFAULT_IOU",
    "MAX_DETECTIONS", "INTRA_OP_THREADS", "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV",
    "UPLOADS_BUCKET", "UPLOADS_PREFIX", "UPLOAD_URL_EXPIRES_SECONDS", "MAX_UPLOAD_BYTES",
)  # fmt: skip


@pytest.fixture(scope="session")
def handler() -> ModuleType:
    """`checkbox.handler`, imported (its cold start run) under the function's environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FUNCTION_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in UNSET_VARIABLES:
            patch.delenv(name, raising=False)
        if "checkbox.handler" in sys.modules:  # imported elsewhere, maybe with another env
            return importlib.reload(sys.modules["checkbox.handler"])
        return importlib.import_module("checkbox.handler")


@pytest.fixture(scope="session")
def known_v8() -> Detector:
    return Detector.load(KNOWN_V8_MODEL, intra_op_threads=1)


@pytest.fixture(scope="session")
def known_v5() -> Detector:
    return Detector.load(KNOWN_V5_MODEL, intra_op_threads=1)


@pytest.fixture(scope="session")
def known_rect() -> Detector:
    return Detector.load(KNOWN_RECT_MODEL, intra_op_threads=1)


@pytest.fixture
def known_handler(handler: ModuleType, known_v8: Detector, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler with the known-output model: its detections can be predicted exactly."""
    monkeypatch.setattr(handler, "DETECTOR", known_v8)
    return handler


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext(
        function_name=FUNCTION_NAME,
        memory_limit_in_mb=3008,
        timeout_seconds=29,
        function_version="7",
        invoked_function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}:live",
    )


def rest_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    *,
    content_type: str | None = None,
    query: dict[str, str] | None = None,
    binary: bool | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0) as Lambda receives it from stage v1 of
    an API-key-protected API. Bytes bodies arrive base64-encoded (the API declares
    multipart/form-data and image/* binary media types); text bodies as they are, unless
    `binary` says otherwise."""
    encoded = isinstance(body, bytes) if binary is None else binary
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii") if encoded else body.decode("utf-8")
    elif isinstance(body, str) and encoded:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    request_id = str(uuid.uuid4())
    headers = {
        "Accept": "*/*",
        "Host": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": "Root=1-67a0c0de-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "x-api-key": "k3yV4lue0123456789abcdefghijklmnopqrstuv",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    if body is not None:
        headers["Content-Length"] = str(len(base64.b64decode(body)) if encoded else len(body.encode()))
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "authorizer": None,
            "domainName": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": API_ID,
            "extendedRequestId": "Ab1CdEfGhIjKlM=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "apiKey": "k3yV4lue0123456789abcdefghijklmnopqrstuv",
                "apiKeyId": "abc123defg",
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "curl/8.5.0",
                "userArn": None,
            },
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": "24/Nov/2026:04:00:00 +0000",
            "requestTimeEpoch": 1795492800000,
            "resourceId": "x1y2z3",
            "resourcePath": path,
            "stage": STAGE,
        },
        "body": body,
        "isBase64Encoded": bool(encoded and body is not None),
    }


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    return rest_event


def multipart(
    fields: dict[str, str | tuple[str, bytes, str]], *, boundary: str | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body as browsers and curl write it: (body, Content-Type header).
    A field is text, or (filename, content, content type) for a file."""
    boundary = boundary or f"----WebKitFormBoundary{uuid.uuid4().hex[:16]}"
    chunks = []
    for name, value in fields.items():
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, content, content_type = value
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            chunks.append(content)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def predict_event(image: bytes, *, conf: str | None = None, iou: str | None = None, filename: str = "scan.png",
                  content_type: str = "image/png") -> dict[str, Any]:  # fmt: skip
    fields: dict[str, Any] = {"file": (filename, image, content_type)}
    if conf is not None:
        fields["conf"] = conf
    if iou is not None:
        fields["iou"] = iou
    body, header = multipart(fields)
    return rest_event("POST", "/predict", body, content_type=header)


def page_image(width: int, height: int, *, mode: str = "RGB") -> Image.Image:
    """A white page with an asymmetric mark (a black square near the top-left corner)."""
    image = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(image)
    side = max(2, min(width, height) // 8)
    draw.rectangle([side // 2, side // 2, side // 2 + side, side // 2 + side], fill="black")
    return image


def encoded(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def json_body(response: dict[str, Any]) -> Any:
    assert isinstance(response["body"], str)
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    return json.loads(response["body"])


def emitted_metrics(stdout: str) -> dict[str, dict[str, Any]]:
    """The EMF metrics printed on stdout: metric name -> {"value", "dimensions", "namespace", ...}."""
    found: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            for metric in directive["Metrics"]:
                found[metric["Name"]] = {
                    "value": document[metric["Name"]],
                    "unit": metric["Unit"],
                    "namespace": directive["Namespace"],
                    "dimensions": dimensions,
                }
    return found


class DetectorSpy:
    """Stands in for the loaded model and fails the test if inference is asked for."""

    def __init__(self, real: Detector) -> None:
        self.identity = real.identity
        self.input_size = real.input_size
        self.calls = 0

    def run(self, tensor: Any) -> Any:
        self.calls += 1
        raise AssertionError("inference must not run")


@pytest.fixture
def detector_spy(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[DetectorSpy]:
    spy = DetectorSpy(handler.DETECTOR)
    monkeypatch.setattr(handler, "DETECTOR", spy)
    yield spy

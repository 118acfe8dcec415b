"""clients/checkbox.py end to end: against `python -m tools.serve` (the dev assembly the CDK CLI
synthesizes, the checkbox function only, on free ports: its REST routes and embedded S3), a
small scan goes inline and a 10 MB scan through POST /uploads, a presigned PUT and a predict by
s3_key; against tiny local HTTP servers that misbehave on purpose, the retry policy, error
surfacing and SigV4 signing."""

from __future__ import annotations

import http.server
import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.auth import SigV4Auth as BotocoreSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from PIL import Image

from benchmarks.checkbox_form import encode, synthetic_form
from clients.api_transport import RetryPolicy, Transport, parse_retry_after, region_of
from clients.checkbox import CheckboxClient, main
from clients.checkbox_results import Box, Prediction
from clients.errors import EndpointUnreachableError, FunctionFailedError, FunctionRequestError
from tests.support.cdk_cli import cdk_cli_synth, shell_env
from tools.local_serve.child_process import ServeProcess

A4_300_DPI = (2480, 3508)
LOCAL_KEY = "any-local-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    cdk_out = cdk_cli_synth(("dev",), tmp_path_factory)["dev"].outdir
    log_path = tmp_path_factory.mktemp("serve-checkbox") / "serve.log"
    with ServeProcess.start(cdk_out=cdk_out, log_path=log_path, arguments=["--function", "checkbox"], environ=shell_env()) as process:
        yield process


@pytest.fixture(scope="module")
def base_url(server: ServeProcess) -> str:
    return server.endpoints.http + server.functions[server.function_name("checkbox")]["http_prefix"]


@pytest.fixture(scope="module")
def noisy_a4_scan() -> bytes:
    """A 300 dpi A4 colour PNG, its top half scanner noise: incompressible, so over 10 MB."""
    form, _ = synthetic_form(size=A4_300_DPI)
    pixels = np.array(form.convert("RGB"))
    noise_rows = A4_300_DPI[1] // 2
    pixels[:noise_rows] = np.random.default_rng(7).integers(0, 256, size=(noise_rows, A4_300_DPI[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def small_form() -> tuple[bytes, tuple[int, int]]:
    size = (620, 877)
    form, _ = synthetic_form(size=size)
    return encode(form, "JPEG"), size


# --- against make serve -------------------------------------------------------------------------


def test_a_small_scan_goes_inline_and_comes_back_typed(base_url: str, tmp_path: Path) -> None:
    image, (width, height) = small_form()
    path = tmp_path / "form.jpg"
    path.write_bytes(image)
    prediction = CheckboxClient(base_url, api_key=LOCAL_KEY).predict(path, conf=0.2, iou=0.5)
    assert isinstance(prediction, Prediction) and prediction.via == "inline"
    (page,) = prediction.pages
    assert (page.index, page.width, page.height) == (0, width, height)
    assert (prediction.conf, prediction.iou) == (0.2, 0.5)
    assert prediction.model.class_names == ("checked", "unchecked") and len(prediction.model.sha256) == 64
    for detection in page.detections:
        assert detection.class_name == prediction.model.class_names[detection.class_id]
        assert isinstance(detection.box, Box) and 0 <= detection.box.x1 < detection.box.x2 <= width


def test_a_10_mb_scan_goes_through_the_upload_route_by_itself(base_url: str, noisy_a4_scan: bytes) -> None:
    assert len(noisy_a4_scan) >= 10_000_000  # past API Gateway's 10 MB and Lambda's 6 MB
    prediction = CheckboxClient(base_url, api_key=LOCAL_KEY).predict(noisy_a4_scan, conf=0.3)
    assert prediction.via == "upload"
    (page,) = prediction.pages
    assert (page.width, page.height) == A4_300_DPI
    assert prediction.conf == 0.3


def test_inline_and_upload_routes_give_the_same_detections(base_url: str) -> None:
    image, _ = small_form()
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    inline, uploaded = client.predict(image, conf=0.2), client.predict(image, conf=0.2, upload=True)
    assert (inline.via, uploaded.via) == ("inline", "upload")
    assert inline.pages == uploaded.pages


def test_the_functions_400_message_surfaces(base_url: str) -> None:
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    with pytest.raises(FunctionRequestError) as inline:
        client.predict(b"%PDF-1.7 not an image")
    assert (inline.value.status_code, inline.value.error_type) == (400, "ValidationError")
    assert "the file is not a PNG, JPEG, TIFF or WebP image (it is a PDF document)" in inline.value.message
    with pytest.raises(FunctionRequestError) as uploaded:
        client.predict(b"%PDF-1.7 not an image", upload=True)
    assert "(it is a PDF document)" in uploaded.value.message


def test_an_unuploaded_key_and_a_missing_api_key_are_4xx_with_their_messages(base_url: str) -> None:
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    ticket_key = "checkbox-uploads/0b6f6d3e-3c8a-4f51-9d2e-5a7c1e2f3b4d"
    with pytest.raises(FunctionRequestError) as missing:
        client._call("POST", "/predict", body=json.dumps({"s3_key": ticket_key}).encode(), content_type="application/json")
    assert missing.value.status_code == 404
    assert "PUT the image to the upload_url from POST /uploads first" in missing.value.message
    with pytest.raises(FunctionRequestError) as wrong_route:
        CheckboxClient(base_url + "/nope", api_key=LOCAL_KEY).health()
    assert wrong_route.value.status_code == 403 and "Missing Authentication Token: no such route" in wrong_route.value.message


def test_the_cli_prints_the_prediction_as_json(base_url: str, tmp_path: Path, capsys: Any) -> None:
    image, (width, _) = small_form()
    path = tmp_path / "form.jpg"
    path.write_bytes(image)
    assert main(["--url", base_url, "--api-key", LOCAL_KEY, "--upload", "--conf", "0.2", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["via"] == "upload" and printed["pages"][0]["width"] == width
    assert main(["--url", base_url, "--api-key", LOCAL_KEY, str(tmp_path / "absent.jpg")]) == 1
    assert "absent.jpg" in capsys.readouterr().err


def test_the_banner_shows_the_upload_flow(server: ServeProcess, base_url: str) -> None:
    output = server.output()
    assert f"u=$(curl -s -X POST -H 'x-api-key: local' {base_url}/uploads)" in output
    assert "curl -s -X PUT -H 'Content-Type: application/octet-stream' -T " in output
    assert f"python -m clients.checkbox --url {base_url} --api-key local --upload " in output


# --- against stub servers: the client's own policies -------------------------------------------


PREDICTION = {
    "pages": [{"page": 0, "width": 100, "height": 50, "detections": [
        {"class_id": 1, "class_name": "unchecked", "confidence": 0.9, "box": {"x1": 1, "y1": 2.5, "x2": 30, "y2": 40}}]}],
    "model": {"sha256": "0" * 64, "input": {"width": 640, "height": 640}, "class_names": ["checked", "unchecked"]},
    "thresholds": {"conf": 0.25, "iou": 0.45},
    "timing_ms": {"decode": 1.0, "preprocess": 2.0, "inference": 3.0, "postprocess": 0.5},
}  # fmt: skip


@dataclass
class Script:
    """What the stub answers, in order (the last answer repeats), and what it was sent."""

    answers: list[tuple[int, dict[str, str], bytes]]
    received: list[dict[str, Any]] = field(default_factory=list)


def answer(status: int, body: Any, **headers: str) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, {"Content-Type": "application/json", **headers}, data


@pytest.fixture
def stub() -> Iterator[tuple[str, Callable[..., Script]]]:
    script = Script(answers=[])

    class Handler(http.server.BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            script.received.append({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": self.rfile.read(length)})  # fmt: skip
            status, headers, body = script.answers[min(len(script.received), len(script.answers)) - 1]
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _respond  # noqa: N815 (http.server's naming)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def program(*answers: tuple[int, dict[str, str], bytes]) -> Script:
        script.answers[:] = list(answers)
        return script

    yield f"http://127.0.0.1:{server.server_address[1]}/v1", program
    server.shutdown()
    server.server_close()


def client_with_recorded_waits(url: str, *, attempts: int = 4, **arguments: Any) -> tuple[CheckboxClient, list[float]]:
    waits: list[float] = []
    transport = Transport(
        retry=RetryPolicy(max_attempts=attempts, base_delay_seconds=0.5, max_delay_seconds=8.0),
        sleep=waits.append,
        uniform=lambda low, high: high,  # the jitter's upper bound: the exponential cap itself
    )
    return CheckboxClient(url, transport=transport, **arguments), waits


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_429_and_5xx_are_retried_with_exponential_backoff_then_succeed(stub: Any, status: int) -> None:
    url, program = stub
    script = program(answer(status, {"message": "busy"}), answer(status, {"message": "busy"}),
                     answer(status, {"message": "busy"}), answer(200, PREDICTION))  # fmt: skip
    client, waits = client_with_recorded_waits(url, api_key="k")
    prediction = client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert len(script.received) == 4 and waits == [0.5, 1.0, 2.0]
    assert prediction.pages[0].detections[0].box.y1 == 2.5
    assert all(request["headers"]["x-api-key"] == "k" for request in script.received)


def test_retry_after_is_honoured_and_capped(stub: Any) -> None:
    url, program = stub
    program(answer(429, {"message": "Too Many Requests"}, **{"Retry-After": "3"}),
            answer(503, {"message": "later"}, **{"Retry-After": "120"}), answer(200, PREDICTION))  # fmt: skip
    client, waits = client_with_recorded_waits(url, api_key="k")
    client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert waits == [3.0, 8.0]  # 120 s announced, capped at max_delay_seconds


def test_attempts_are_bounded_and_the_last_5xx_raises_with_its_message(stub: Any) -> None:
    url, program = stub
    script = program(answer(500, {"error": "internal error", "error_type": "InternalError", "request_id": "r-1"}))
    client, waits = client_with_recorded_waits(url, attempts=3, api_key="k")
    with pytest.raises(FunctionFailedError, match=r"InternalError: 500: internal error \(request id r-1\)"):
        client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert len(script.received) == 3 and len(waits) == 2


def test_a_4xx_is_not_retried_and_raises_the_servers_message(stub: Any) -> None:
    url, program = stub
    script = program(answer(400, {"error": "'conf' must be strictly between 0 and 1, got 2", "error_type": "ValidationError"}))
    client, waits = client_with_recorded_waits(url, api_key="k")
    with pytest.raises(FunctionRequestError) as raised:
        client.predict(b"\x89PNG\r\n\x1a\n tiny", conf=2)
    assert (raised.value.status_code, raised.value.message) == (400, "'conf' must be strictly between 0 and 1, got 2")
    assert len(script.received) == 1 and waits == []
    assert script.received[0]["path"] == "/v1/predict?conf=2" and script.received[0]["headers"]["content-type"] == "image/png"


def test_an_answer_not_in_the_documented_shape_is_refused(stub: Any) -> None:
    url, program = stub
    broken = json.loads(json.dumps(PREDICTION))
    broken["pages"][0]["detections"][0]["class_id"] = True
    program(answer(200, broken))
    client, _ = client_with_recorded_waits(url, api_key="k")
    with pytest.raises(FunctionFailedError, match=r"pages\[0\].detections\[0\].class_id must be an integer, got bool"):
        client.predict(b"\x89PNG\r\n\x1a\n tiny")


def test_an_unreachable_host_is_retried_then_named(stub: Any) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client, waits = client_with_recorded_waits(f"http://127.0.0.1:{closed_port}/v1", attempts=3, api_key="k")
    with pytest.raises(EndpointUnreachableError, match=rf"cannot reach http://127.0.0.1:{closed_port}/v1/predict .* after 3 attempt"):
        client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert waits == [0.5, 1.0]


def test_a_large_file_goes_through_uploads_without_auth_headers_to_s3(stub: Any) -> None:
    url, program = stub
    base = url.removesuffix("/v1")
    ticket = {"s3_key": "checkbox-uploads/k", "upload_url": f"{base}/bucket/checkbox-uploads/k?X-Amz-Signature=abc",
              "method": "PUT", "headers": {"Content-Type": "application/octet-stream"}, "expires_in": 300, "max_bytes": 100}  # fmt: skip
    script = program(answer(200, ticket), answer(200, b""), answer(200, PREDICTION))
    client, _ = client_with_recorded_waits(url, api_key="k", max_inline_bytes=10)
    assert client.predict(b"\x89PNG\r\n\x1a\n" + b"x" * 20, iou=0.3).via == "upload"
    uploads, put, predict = script.received
    assert (uploads["method"], uploads["path"]) == ("POST", "/v1/uploads")
    assert (put["method"], put["path"], put["body"][:8]) == ("PUT", "/bucket/checkbox-uploads/k?X-Amz-Signature=abc", b"\x89PNG\r\n\x1a\n")
    assert put["headers"]["content-type"] == "application/octet-stream" and "x-api-key" not in put["headers"]
    assert json.loads(predict["body"]) == {"s3_key": "checkbox-uploads/k", "iou": 0.3}


def test_a_file_over_the_upload_limit_is_refused_before_the_put(stub: Any) -> None:
    url, program = stub
    ticket = {"s3_key": "k", "upload_url": f"{url}/x", "method": "PUT", "headers": {}, "expires_in": 300, "max_bytes": 5}
    script = program(answer(200, ticket))
    client, _ = client_with_recorded_waits(url, api_key="k")
    with pytest.raises(FunctionRequestError, match="the file is 9 bytes; the API accepts uploads up to 5 bytes"):
        client.predict(b"123456789", upload=True)
    assert len(script.received) == 1  # POST /uploads only


def test_sigv4_signs_every_request_for_execute_api_with_the_given_credentials(stub: Any) -> None:
    url, program = stub
    script = program(answer(200, PREDICTION))
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    client, _ = client_with_recorded_waits(url, iam=True, region="eu-west-1", credentials=credentials)
    body = b"\x89PNG\r\n\x1a\n tiny"
    client.predict(body, conf=0.4)
    (request,) = script.received
    authorization = request["headers"]["authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{request['headers']['x-amz-date'][:8]}/eu-west-1/execute-api/aws4_request")
    signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "content-type"} <= set(signed_names)
    # Recompute the signature with botocore for the request the server received.
    received_headers = {name: value for name, value in request["headers"].items() if name.lower() in signed_names}
    replay = AWSRequest(method="POST", url=f"http://127.0.0.1:{url.split(':')[2].split('/')[0]}{request['path']}",
                        data=request["body"], headers=received_headers)  # fmt: skip
    replay.context["timestamp"] = request["headers"]["x-amz-date"]
    signer = BotocoreSigV4(credentials, "execute-api", "eu-west-1")
    signature = signer.signature(signer.string_to_sign(replay, signer.canonical_request(replay)), replay)
    assert authorization.endswith(f"Signature={signature}")
    assert "x-api-key" not in request["headers"]


def test_the_region_comes_from_an_execute_api_url_and_auth_is_required() -> None:
    assert region_of("https://abc123.execute-api.eu-central-1.amazonaws.com/v1") == "eu-central-1"
    assert region_of("http://127.0.0.1:3000/checkbox") is None
    with pytest.raises(ValueError, match="exactly one of api_key"):
        CheckboxClient("https://abc123.execute-api.eu-central-1.amazonaws.com/v1")
    with pytest.raises(ValueError, match="exactly one of api_key"):
        CheckboxClient("https://abc123.execute-api.eu-central-1.amazonaws.com/v1", api_key="k", iam=True)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Fri, 04 Dec 2026 22:00:10 GMT", now=1796421600.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None

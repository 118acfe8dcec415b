"""clients/checkbox.py's own policies against tiny local HTTP servers that misbehave on purpose:
the retry policy, error surfacing and SigV4 signing (end to end against `make serve`:
tests/integration/test_checkbox_client.py)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.auth import SigV4Auth as BotocoreSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from clients.api_transport import RetryPolicy, Transport, parse_retry_after, region_of
from clients.checkbox import CheckboxClient
from clients.errors import EndpointUnreachableError, FunctionFailedError, FunctionRequestError

PREDICTION = {
    "pages": [
        {
            "page": 0,
            "width": 100,
            "height": 50,
            "detections": [
                {
                    "class_id": 1,
                    "class_name": "unchecked",
                    "confidence": 0.9,
                    "box": {"x1": 1, "y1": 2.5, "x2": 30, "y2": 40},
                }
            ],
        }
    ],
    "model": {"sha256": "0" * 64, "input": {"width": 640, "height": 640}, "class_names": ["checked", "unchecked"]},
    "thresholds": {"conf": 0.25, "iou": 0.45},
    "timing_ms": {"decode": 1.0, "preprocess": 2.0, "inference": 3.0, "postprocess": 0.5},
}


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
            script.received.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length),
                }
            )
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
    script = program(
        answer(status, {"message": "busy"}),
        answer(status, {"message": "busy"}),
        answer(status, {"message": "busy"}),
        answer(200, PREDICTION),
    )
    client, waits = client_with_recorded_waits(url, api_key="k")
    prediction = client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert len(script.received) == 4 and waits == [0.5, 1.0, 2.0]
    assert prediction.pages[0].detections[0].box.y1 == 2.5
    assert all(request["headers"]["x-api-key"] == "k" for request in script.received)


def test_retry_after_is_honoured_and_capped(stub: Any) -> None:
    url, program = stub
    program(
        answer(429, {"message": "Too Many Requests"}, **{"Retry-After": "3"}),
        answer(503, {"message": "later"}, **{"Retry-After": "120"}),
        answer(200, PREDICTION),
    )
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
    script = program(
        answer(400, {"error": "'conf' must be strictly between 0 and 1, got 2", "error_type": "ValidationError"})
    )
    client, waits = client_with_recorded_waits(url, api_key="k")
    with pytest.raises(FunctionRequestError) as raised:
        client.predict(b"\x89PNG\r\n\x1a\n tiny", conf=2)
    assert (raised.value.status_code, raised.value.message) == (400, "'conf' must be strictly between 0 and 1, got 2")
    assert len(script.received) == 1 and waits == []
    assert (
        script.received[0]["path"] == "/v1/predict?conf=2"
        and script.received[0]["headers"]["content-type"] == "image/png"
    )


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
    with pytest.raises(
        EndpointUnreachableError, match=rf"cannot reach http://127.0.0.1:{closed_port}/v1/predict .* after 3 attempt"
    ):
        client.predict(b"\x89PNG\r\n\x1a\n tiny")
    assert waits == [0.5, 1.0]


def test_a_large_file_goes_through_uploads_without_auth_headers_to_s3(stub: Any) -> None:
    url, program = stub
    base = url.removesuffix("/v1")
    ticket = {
        "s3_key": "checkbox-uploads/k",
        "upload_url": f"{base}/bucket/checkbox-uploads/k?X-Amz-Signature=abc",
        "method": "PUT",
        "headers": {"Content-Type": "application/octet-stream"},
        "expires_in": 300,
        "max_bytes": 100,
    }
    script = program(answer(200, ticket), answer(200, b""), answer(200, PREDICTION))
    client, _ = client_with_recorded_waits(url, api_key="k", max_inline_bytes=10)
    assert client.predict(b"\x89PNG\r\n\x1a\n" + b"x" * 20, iou=0.3).via == "upload"
    uploads, put, predict = script.received
    assert (uploads["method"], uploads["path"]) == ("POST", "/v1/uploads")
    assert (put["method"], put["path"], put["body"][:8]) == (
        "PUT",
        "/bucket/checkbox-uploads/k?X-Amz-Signature=abc",
        b"\x89PNG\r\n\x1a\n",
    )
    assert put["headers"]["content-type"] == "application/octet-stream" and "x-api-key" not in put["headers"]
    assert json.loads(predict["body"]) == {"s3_key": "checkbox-uploads/k", "iou": 0.3}


def test_a_file_over_the_upload_limit_is_refused_before_the_put(stub: Any) -> None:
    url, program = stub
    ticket = {
        "s3_key": "k",
        "upload_url": f"{url}/x",
        "method": "PUT",
        "headers": {},
        "expires_in": 300,
        "max_bytes": 5,
    }
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
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{request['headers']['x-amz-date'][:8]}/eu-west-1/execute-api/aws4_request"
    )
    signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "content-type"} <= set(signed_names)
    # Recompute the signature with botocore for the request the server received.
    received_headers = {name: value for name, value in request["headers"].items() if name.lower() in signed_names}
    replay = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{url.split(':')[2].split('/')[0]}{request['path']}",
        data=request["body"],
        headers=received_headers,
    )
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

"""Client for the checkbox detector's REST API: ``CheckboxClient(url, ...).predict(image)``.

    client = CheckboxClient("https://abc123.execute-api.eu-west-1.amazonaws.com/v1", api_key="...")
    prediction = client.predict("form.png", conf=0.2)      # a path, or the file's bytes
    for page in prediction.pages:
        for detection in page.detections:
            print(page.index, detection.class_name, detection.confidence, detection.box)

`url` is the API's stage URL (the stack's ApiEndpoint output; `make serve`: .../checkbox).
Auth as the stack is set: `api_key=` (RestApiSettings.auth "api_key", the default) or
`iam=True` (auth "iam": SigV4 with botocore's credentials, or `credentials=`).

How the image travels. Up to `max_inline_bytes` the file is the request body itself (raw
image/*: API Gateway base64-encodes it for Lambda, so 4,500,000 bytes become 6,000,000, just
under Lambda's 6 MB synchronous limit and the function's MAX_BODY_BYTES). Larger files go
through S3: POST /uploads, a PUT of the file to the presigned URL it returns, then POST
/predict {"s3_key"} (the function then reads up to its MAX_UPLOAD_BYTES, 50 MB by default).
`upload=True` forces that route for any size.

Errors (clients/errors.py): a 4xx raises `FunctionRequestError` with the server's own message
(what to fix); a 5xx or 429 still failing after the retries (clients/api_transport.py: backoff
with jitter, Retry-After honoured) raises `FunctionFailedError`, and so does an answer not in
the documented shape; no answer at all raises `EndpointUnreachableError`; S3 refusing the
upload raises `UploadError`.

Command line (prints the prediction as JSON)::

    python -m clients.checkbox --url URL (--api-key KEY | --iam) [--conf 0.2] [--upload] form.jpg
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from clients.api_transport import ApiKeyAuth, HttpAnswer, RetryPolicy, SigV4Auth, Transport
from clients.checkbox_results import Prediction, Upload, parse_prediction, parse_upload
from clients.errors import FunctionClientError, FunctionFailedError, FunctionRequestError, UploadError

# The function's MAX_BODY_BYTES default: a raw body this large is 6,000,000 bytes once API
# Gateway base64-encodes it for Lambda, leaving room for headers under the 6,291,456 limit.
DEFAULT_MAX_INLINE_BYTES = 4_500_000
# What the function decodes; anything else is sent as application/octet-stream.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_S3_ERROR = re.compile(rb"<(Code|Message)>([^<]*)</\1>")


class CheckboxClient:
    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        iam: bool = False,
        region: str | None = None,
        credentials: Any = None,
        max_inline_bytes: int = DEFAULT_MAX_INLINE_BYTES,
        retry: RetryPolicy | None = None,
        timeout_seconds: float = 60.0,
        transport: Transport | None = None,
    ) -> None:
        if (api_key is not None) == iam:
            raise ValueError(
                "authenticate with exactly one of api_key=... (x-api-key) and iam=True (SigV4): the API has no open method"
            )
        if max_inline_bytes < 0:
            raise ValueError(f"max_inline_bytes must be >= 0, got {max_inline_bytes}")
        self.url = url.rstrip("/")
        self.max_inline_bytes = max_inline_bytes
        self._auth = (
            ApiKeyAuth(api_key) if api_key is not None else SigV4Auth(region=region, credentials=credentials, url=url)
        )
        self._transport = transport or Transport(retry=retry or RetryPolicy(), timeout_seconds=timeout_seconds)

    def predict(
        self, image: str | Path | bytes, *, conf: float | None = None, iou: float | None = None, upload: bool = False
    ) -> Prediction:
        """Detections on every page of the image (a path or the file's bytes)."""
        data = Path(image).read_bytes() if isinstance(image, (str, Path)) else bytes(image)
        if not data:
            raise ValueError("the image is empty: pass a PNG, JPEG, TIFF or WebP file")
        thresholds = {name: value for name, value in (("conf", conf), ("iou", iou)) if value is not None}
        if upload or len(data) > self.max_inline_bytes:
            s3_key = self.upload(data)
            body = json.dumps({"s3_key": s3_key, **thresholds}).encode()
            answer = self._call("POST", "/predict", body=body, content_type="application/json")
            return parse_prediction(answer.body, via="upload")
        query = f"?{urlencode(thresholds)}" if thresholds else ""
        answer = self._call("POST", f"/predict{query}", body=data, content_type=_media_type(data))
        return parse_prediction(answer.body, via="inline")

    def upload(self, data: bytes) -> str:
        """PUT `data` to a new presigned upload URL; its s3_key, to predict with."""
        ticket: Upload = parse_upload(self._call("POST", "/uploads").body)
        if len(data) > ticket.max_bytes:
            raise FunctionRequestError(
                message=f"the file is {len(data):,} bytes; the API accepts uploads up to {ticket.max_bytes:,} bytes: send a smaller scan",
                status_code=413,
                error_type="PayloadTooLarge",
            )
        # The URL carries its own signature: no API key or SigV4 header goes to S3.
        answer = self._transport.send(ticket.method, ticket.upload_url, body=data, headers=ticket.headers)
        if not 200 <= answer.status < 300:
            found = dict(_S3_ERROR.findall(answer.body))
            raise UploadError(
                status_code=answer.status,
                code=found.get(b"Code", b"").decode(errors="replace") or "Unknown",
                message=found.get(b"Message", b"").decode(errors="replace")
                or answer.body[:200].decode(errors="replace"),
            )
        return ticket.s3_key

    def health(self) -> dict[str, Any]:
        answer = self._call("GET", "/health")
        try:
            return dict(json.loads(answer.body))
        except (ValueError, TypeError):
            raise FunctionFailedError(
                message="the health answer is not a JSON object", error_type="MalformedResponse"
            ) from None

    def _call(self, method: str, path: str, *, body: bytes = b"", content_type: str | None = None) -> HttpAnswer:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        answer = self._transport.send(method, f"{self.url}{path}", body=body, headers=headers, auth=self._auth)
        if 200 <= answer.status < 300:
            return answer
        message, error_type = _error_of(answer)
        if 400 <= answer.status < 500 and answer.status != 429:
            raise FunctionRequestError(message=message, status_code=answer.status, error_type=error_type)
        raise FunctionFailedError(message=f"{answer.status}: {message}", error_type=error_type)


def _error_of(answer: HttpAnswer) -> tuple[str, str]:
    """(message, type): the function's {"error", "error_type"}, or API Gateway's {"message"}."""
    try:
        document = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        detail = f" (request id {document['request_id']})" if document.get("request_id") else ""
        return document["error"] + detail, str(document.get("error_type") or "Error")
    gateway_type = answer.headers.get("x-amzn-errortype", "").split(":", 1)[0] or "HttpError"
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        message = document["message"]
        if message == "Missing Authentication Token":
            message += ": no such route or method; check the URL ends with the stage (e.g. /v1)"
        return message, gateway_type
    return answer.body[:200].decode(errors="replace") or f"HTTP {answer.status}", gateway_type


def _media_type(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    return "application/octet-stream"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clients.checkbox", description="Detect checkboxes on a scanned form."
    )
    parser.add_argument("image", type=Path, help="PNG, JPEG, TIFF or WebP file")
    parser.add_argument(
        "--url", required=True, help="the API's stage URL (ApiEndpoint output; make serve: .../checkbox)"
    )
    auth = parser.add_mutually_exclusive_group(required=True)
    auth.add_argument("--api-key", help="the x-api-key value (auth 'api_key')")
    auth.add_argument("--iam", action="store_true", help="sign with SigV4 and your AWS credentials (auth 'iam')")
    parser.add_argument("--region", help="the API's region for --iam (default: from the URL)")
    parser.add_argument("--conf", type=float, help="confidence threshold, 0..1 exclusive")
    parser.add_argument("--iou", type=float, help="NMS IoU threshold, 0..1 exclusive")
    parser.add_argument("--upload", action="store_true", help="go through POST /uploads and S3 whatever the size")
    args = parser.parse_args(argv)
    try:
        client = CheckboxClient(args.url, api_key=args.api_key, iam=args.iam, region=args.region)
        prediction = client.predict(args.image, conf=args.conf, iou=args.iou, upload=args.upload)
    except (FunctionClientError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(prediction), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scans through S3: POST /uploads presigns a PUT, the file is PUT over real HTTP to moto's S3
server on loopback, then POST /predict {"s3_key"} reads it back through the function's own
boto3 client; and every way an s3_key or an uploaded object can be wrong is a 4xx saying what
to fix, through API Gateway's events and by direct invoke."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from checkbox.config import UploadSettings
from checkbox.uploads import Uploads, presigning_client
from stacks.common.paths import REPO_ROOT
from tests.support.checkbox import encoded, multipage_tiff, page_image, png_claiming
from tests.support.events import json_body, rest_event
from tests.support.metrics import emitted_metrics
from tools.local_lambda import LocalLambdaContext

PREFIX = "checkbox-uploads/"
PNG = encoded(page_image(1000, 300), "PNG")
UUID = "0b6f6d3e-3c8a-4f51-9d2e-5a7c1e2f3b4d"

MakeUploads = Callable[..., Uploads]


@pytest.fixture
def uploads_bucket(aws_environment: dict[str, str]) -> str:
    bucket = f"uploads-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return bucket


@pytest.fixture
def make_uploads(handler: ModuleType, uploads_bucket: str, monkeypatch: pytest.MonkeyPatch) -> MakeUploads:
    """Install uploads on the handler as UPLOADS_BUCKET would at cold start, with the real
    presigning client (pointed at moto by AWS_ENDPOINT_URL_S3)."""

    def install(*, max_upload_bytes: int = 50_000_000, client: Any = None) -> Uploads:
        settings = UploadSettings(
            bucket=uploads_bucket, prefix=PREFIX, url_expires_seconds=300, max_upload_bytes=max_upload_bytes
        )
        uploads = Uploads(settings, client=client or presigning_client())
        monkeypatch.setattr(handler, "UPLOADS", uploads)
        return uploads

    return install


@pytest.fixture
def uploads(make_uploads: MakeUploads) -> Uploads:
    return make_uploads()


def new_upload(handler: ModuleType, context: LocalLambdaContext) -> dict[str, Any]:
    response = handler.lambda_handler(rest_event("POST", "/uploads"), context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def put(upload: dict[str, Any], data: bytes) -> int:
    """PUT the file to the presigned URL with the headers POST /uploads said to send."""
    request = urllib.request.Request(
        upload["upload_url"], data=data, method=upload["method"], headers=upload["headers"]
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def predict_by_key(key: Any, **thresholds: float) -> dict[str, Any]:
    return rest_event("POST", "/predict", json.dumps({"s3_key": key, **thresholds}), content_type="application/json")


def error_of(response: dict[str, Any], status: int) -> str:
    assert response["statusCode"] == status, response["body"]
    return str(json_body(response)["error"])


# --- the flow ---------------------------------------------------------------------------------


def test_uploads_answers_a_presigned_put_for_a_new_key_under_the_prefix(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads, s3_endpoint: str, capsys: Any
) -> None:
    capsys.readouterr()
    first, second = new_upload(handler, context), new_upload(handler, context)
    assert set(first) == {"s3_key", "upload_url", "method", "headers", "expires_in", "max_bytes"}
    assert (first["method"], first["headers"], first["expires_in"], first["max_bytes"]) == (
        "PUT",
        {"Content-Type": "application/octet-stream"},
        300,
        50_000_000,
    )
    assert (
        first["s3_key"].startswith(PREFIX)
        and str(uuid.UUID(first["s3_key"].removeprefix(PREFIX))) == first["s3_key"][len(PREFIX) :]
    )
    assert first["s3_key"] != second["s3_key"]  # a new unguessable key every time
    assert first["upload_url"].startswith(f"{s3_endpoint}/{uploads.settings.bucket}/{first['s3_key']}?")
    assert "X-Amz-Signature=" in first["upload_url"] and "X-Amz-Expires=300" in first["upload_url"]
    assert "X-Amz-SignedHeaders=content-type%3Bhost" in first["upload_url"]  # the one header to send, and the host
    assert emitted_metrics(capsys.readouterr().out)["UploadsIssued"]["value"] == [1.0]


def test_a_scan_put_to_the_url_is_predicted_by_its_key_as_if_sent_inline(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    upload = new_upload(handler, context)
    assert put(upload, PNG) == 200
    by_key = handler.lambda_handler(predict_by_key(upload["s3_key"], conf=0.2, iou=0.5), context)
    assert by_key["statusCode"] == 200, by_key["body"]
    inline = handler.lambda_handler(
        rest_event("POST", "/predict", PNG, content_type="image/png", query={"conf": "0.2", "iou": "0.5"}), context
    )
    by_key_body, inline_body = json_body(by_key), json_body(inline)
    assert by_key_body["pages"] == inline_body["pages"]
    assert (by_key_body["pages"][0]["width"], by_key_body["pages"][0]["height"]) == (1000, 300)
    assert by_key_body["thresholds"] == {"conf": 0.2, "iou": 0.5}


def test_an_upload_larger_than_the_request_limit_is_predicted(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    big = encoded(page_image(2480, 3508), "TIFF")  # ~26 MB uncompressed: far past the 4.5 MB body limit
    assert len(big) > handler.CONFIG.max_body_bytes
    upload = new_upload(handler, context)
    put(upload, big)
    body = json_body(handler.lambda_handler(predict_by_key(upload["s3_key"]), context))
    assert (body["pages"][0]["width"], body["pages"][0]["height"]) == (2480, 3508)


def test_both_routes_by_direct_invoke_with_minimal_events(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    answer = handler.lambda_handler({"httpMethod": "POST", "path": "/uploads"}, context)
    assert answer["statusCode"] == 200, answer["body"]
    upload = json.loads(answer["body"])
    put(upload, PNG)
    event = {
        "httpMethod": "POST",
        "path": "/predict",
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"s3_key": upload["s3_key"]}),
    }
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["pages"][0]["width"] == 1000


# --- keys that are not ones the function issues -------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        f"other-prefix/{UUID}",
        f"{PREFIX}../{UUID}",
        f"{PREFIX}{UUID}/../../models/model.onnx",
        f"../{PREFIX}{UUID}",
        f"/{PREFIX}{UUID}",
        PREFIX,
        f"{PREFIX}{UUID}.png",
        f"{PREFIX}{UUID.upper()}",
        f"{PREFIX}not-a-uuid",
        f"{PREFIX}{UUID}\n",
        f"CHECKBOX-UPLOADS/{UUID}",
        "s3://bucket/" + PREFIX + UUID,
    ],
    ids=[
        "other-prefix",
        "dotdot-in-prefix",
        "traversal-after",
        "dotdot-before",
        "leading-slash",
        "prefix-only",
        "extension",
        "upper-case",
        "not-a-uuid",
        "newline",
        "prefix-case",
        "uri",
    ],
)
def test_a_key_of_another_shape_is_400_and_s3_is_never_asked(
    handler: ModuleType, context: LocalLambdaContext, make_uploads: MakeUploads, key: str
) -> None:
    client = presigning_client()
    asked: list[str] = []
    client.meta.events.register("before-call.s3", lambda model, **_: asked.append(model.name))
    make_uploads(client=client)
    message = error_of(handler.lambda_handler(predict_by_key(key), context), 400)
    assert (
        "is not a key POST /uploads gives: send the s3_key it returned unchanged (checkbox-uploads/<uuid>)" in message
    )
    assert asked == []


@pytest.mark.parametrize(
    "key", [123, None, [], {}, "", True], ids=["number", "null", "list", "object", "empty", "bool"]
)
def test_an_s3_key_that_is_not_a_string_is_400(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads, key: Any
) -> None:
    message = error_of(handler.lambda_handler(predict_by_key(key), context), 400)
    assert "'s3_key' must be the s3_key string POST /uploads returned" in message


def test_an_s3_key_in_a_multipart_form_or_the_query_is_not_read(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    event = rest_event("POST", "/predict", b"", content_type="image/png", query={"s3_key": f"{PREFIX}{UUID}"})
    assert "the request body is empty" in error_of(handler.lambda_handler(event, context), 400)


# --- objects that are missing, too large, or not images -----------------------------------------


def test_a_key_never_uploaded_is_404_saying_to_upload_first(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    upload = new_upload(handler, context)  # issued, never PUT
    response = handler.lambda_handler(predict_by_key(upload["s3_key"]), context)
    message = error_of(response, 404)
    assert json_body(response)["error_type"] == "NotFound"
    assert message.startswith(
        f"no uploaded object {upload['s3_key']}: PUT the image to the upload_url from POST /uploads first"
    )
    assert "uploads are deleted by the bucket's lifecycle rule (after a day by default)" in message


def test_an_object_over_max_upload_bytes_is_400_without_downloading_it(
    handler: ModuleType, context: LocalLambdaContext, make_uploads: MakeUploads
) -> None:
    client = presigning_client()
    asked: list[str] = []
    client.meta.events.register("before-call.s3", lambda model, **_: asked.append(model.name))
    make_uploads(max_upload_bytes=1000, client=client)
    upload = new_upload(handler, context)
    put(upload, PNG)
    assert len(PNG) > 1000
    message = error_of(handler.lambda_handler(predict_by_key(upload["s3_key"]), context), 400)
    assert message.startswith(
        f"the uploaded object is {len(PNG):,} bytes; the limit is 1,000 bytes: upload a smaller scan"
    )
    assert asked == ["HeadObject"]  # sized up, never fetched


def test_an_empty_object_is_400(handler: ModuleType, context: LocalLambdaContext, uploads: Uploads) -> None:
    upload = new_upload(handler, context)
    put(upload, b"")
    assert "is empty: PUT the image file's bytes to the upload_url" in error_of(
        handler.lambda_handler(predict_by_key(upload["s3_key"]), context), 400
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (png_claiming(100_000, 100_000), "10,000,000,000 pixels; the limit is 40,000,000 pixels per page"),
        (png_claiming(50_000, 1_000), "the limit is 40,000,000 pixels per page"),
        (multipage_tiff([(40, 20)] * 21), "the TIFF has 21 pages; the limit is 20"),
        (b"%PDF-1.7\n" + b"0" * 2000, "(it is a PDF document)"),
        (b"just some text, not an image", "the file is not a PNG, JPEG, TIFF or WebP image"),
        (PNG[: len(PNG) // 2], "cannot be"),  # truncated
    ],
    ids=["bomb", "too-many-pixels", "too-many-pages", "pdf", "text", "truncated"],
)
def test_an_uploaded_object_gets_the_same_image_checks_as_an_inline_one(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads, content: bytes, message: str
) -> None:
    upload = new_upload(handler, context)
    put(upload, content)
    assert message in error_of(handler.lambda_handler(predict_by_key(upload["s3_key"]), context), 400)


class AccessDeniedS3(http.server.BaseHTTPRequestHandler):
    """S3 as the function's role sees a missing key: without s3:ListBucket, HEAD answers 403."""

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # keep the test output for the test
        pass


@pytest.fixture
def access_denied_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AccessDeniedS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_access_denied_for_a_key_of_the_right_shape_means_not_uploaded(
    handler: ModuleType, context: LocalLambdaContext, make_uploads: MakeUploads, access_denied_endpoint: str
) -> None:
    make_uploads(client=boto3.client("s3", endpoint_url=access_denied_endpoint))
    response = handler.lambda_handler(predict_by_key(f"{PREFIX}{UUID}"), context)
    assert error_of(response, 404).startswith(f"no uploaded object {PREFIX}{UUID}: PUT the image to the upload_url")


# --- a function without an uploads bucket ---------------------------------------------------------


def test_without_an_uploads_bucket_the_routes_say_so(handler: ModuleType, context: LocalLambdaContext) -> None:
    assert handler.UPLOADS is None  # the handler fixture's environment has no UPLOADS_BUCKET
    message = error_of(handler.lambda_handler(rest_event("POST", "/uploads"), context), 404)
    assert "uploads are not enabled on this function (no UPLOADS_BUCKET): send the image in the request" in message
    message = error_of(handler.lambda_handler(predict_by_key(f"{PREFIX}{UUID}"), context), 400)
    assert "send the image inline as 'image'" in message


# --- the committed sample events ------------------------------------------------------------------

EVENTS = REPO_ROOT / "events" / "checkbox"


def test_the_sample_uploads_event_answers_an_upload_url(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads
) -> None:
    event = json.loads((EVENTS / "apigw_post_uploads.json").read_text())
    body = json_body(handler.lambda_handler(event, context))
    assert body["s3_key"].startswith(PREFIX) and body["method"] == "PUT"


@pytest.mark.parametrize(
    "path",
    [EVENTS / "bad_apigw_post_predict_s3_key_traversal.json", EVENTS / "bad_predict_s3_key_outside_uploads.json"],
    ids=["apigw-traversal", "make-invoke-outside-prefix"],
)
def test_the_sample_bad_key_events_are_400(
    handler: ModuleType, context: LocalLambdaContext, uploads: Uploads, path: Path
) -> None:
    message = error_of(handler.lambda_handler(json.loads(path.read_text()), context), 400)
    assert "is not a key POST /uploads gives" in message

"""Hostile input for the checkbox detector's S3 route against the running local server: odd
bodies on POST /uploads, hostile s3_key values, and hostile files PUT to the presigned URL
(the embedded S3) then predicted by key. Each answer must be a 2xx, or a 4xx whose body says
what to fix: never a 5xx, an Unhandled function error, a hang or a dropped connection."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.support import hostile_inputs as corpus
from tests.support.hostile_client import HostileClient

API_KEY = {"x-api-key": "hostile-local-key"}
JSON = {"Content-Type": "application/json"}
UUID = "0b6f6d3e-3c8a-4f51-9d2e-5a7c1e2f3b4d"


def _check(outcome: Any) -> None:
    assert outcome.problem() is None, outcome.problem()


def new_upload(client: HostileClient, prefixes: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        client.http_base + prefixes["checkbox"] + "/uploads", data=b"", method="POST", headers=API_KEY
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def put(upload: dict[str, Any], data: bytes) -> None:
    request = urllib.request.Request(upload["upload_url"], data=data, method="PUT", headers=upload["headers"])
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


UPLOADS_BODIES = [
    ("none", None, {}),
    ("json-object", b'{"content_type": "image/png", "size": -1}', JSON),
    ("json-deep", corpus.deep_array(), JSON),
    ("garbage", bytes(range(256)) * 64, {"Content-Type": "application/octet-stream"}),
    ("image", corpus.image_bytes("PNG"), {"Content-Type": "image/png"}),
    (
        "form",
        corpus.multipart([("file", b"x", "x.png")]),
        {"Content-Type": f"multipart/form-data; boundary={corpus.BOUNDARY}"},
    ),
]


@pytest.mark.parametrize(("case", "body", "headers"), UPLOADS_BODIES, ids=[case for case, _, _ in UPLOADS_BODIES])
def test_post_uploads_with_any_body(
    client: HostileClient, prefixes: dict[str, str], case: str, body: bytes | None, headers: dict[str, str]
) -> None:
    _check(
        client.http("checkbox", "POST", prefixes["checkbox"] + "/uploads", body=body, headers={**headers, **API_KEY})
    )


KEYS: list[tuple[str, Any]] = [
    ("traversal", f"checkbox-uploads/../../{UUID}"),
    ("other-prefix", f"models/{UUID}"),
    ("absolute", f"/checkbox-uploads/{UUID}"),
    ("uri", f"s3://bucket/checkbox-uploads/{UUID}"),
    ("null-byte", f"checkbox-uploads/{UUID}\x00"),
    ("unicode", "checkbox-uploads/\u00e9\u202e\ud83d\ude00"),
    ("lone-surrogate", "checkbox-uploads/\ud800"),
    ("huge", "checkbox-uploads/" + "a" * 1_000_000),
    ("never-uploaded", f"checkbox-uploads/{UUID}"),
    ("number", 12),
    ("object", {"Bucket": "x", "Key": "y"}),
    ("list", [f"checkbox-uploads/{UUID}"]),
    ("null", None),
    ("empty", ""),
]


@pytest.mark.parametrize(("case", "key"), KEYS, ids=[case for case, _ in KEYS])
def test_hostile_s3_keys_over_http_and_by_invoke(
    client: HostileClient, prefixes: dict[str, str], case: str, key: Any
) -> None:
    body = json.dumps({"s3_key": key, "conf": 0.3}).encode("utf-8", "surrogatepass")
    _check(client.http("checkbox", "POST", prefixes["checkbox"] + "/predict", body=body, headers={**JSON, **API_KEY}))
    event = {"httpMethod": "POST", "path": "/predict", "headers": JSON, "body": body.decode("utf-8", "surrogatepass")}
    _check(client.invoke("checkbox", json.dumps(event).encode("utf-8", "surrogatepass")))


def test_image_and_s3_key_together(client: HostileClient, prefixes: dict[str, str]) -> None:
    body = json.dumps({"image": corpus.b64(corpus.image_bytes("PNG")), "s3_key": f"checkbox-uploads/{UUID}"}).encode()
    _check(client.http("checkbox", "POST", prefixes["checkbox"] + "/predict", body=body, headers={**JSON, **API_KEY}))


IMAGES = corpus.images()


@pytest.mark.parametrize(("case", "image"), IMAGES, ids=[case for case, _ in IMAGES])
def test_hostile_files_uploaded_then_predicted_by_key(
    client: HostileClient, prefixes: dict[str, str], case: str, image: bytes
) -> None:
    upload = new_upload(client, prefixes)
    put(upload, image)
    body = json.dumps({"s3_key": upload["s3_key"]}).encode()
    _check(client.http("checkbox", "POST", prefixes["checkbox"] + "/predict", body=body, headers={**JSON, **API_KEY}))

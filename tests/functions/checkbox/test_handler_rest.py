"""The handler behind API Gateway (REST proxy events, payload 1.0): routes, the three request
forms, the response shape, every bad input, and the one place errors become responses."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from PIL import Image
from urllib3 import encode_multipart_formdata

from tests.support.checkbox import encoded, multipage_tiff, page_image, png_claiming, predict_event
from tests.support.events import json_body, multipart, rest_event
from tests.support.handlers import fail_with, internal_error_body, logged_internal_error
from tests.support.metrics import emitted_metrics
from tools.local_lambda import LocalLambdaContext

PNG = encoded(page_image(1000, 300), "PNG")
JPEG = encoded(page_image(1000, 300), "JPEG")


def _ok(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response["body"]
    assert response["isBase64Encoded"] is False
    return json_body(response)


# --- routes ---------------------------------------------------------------------------------


def test_get_health_reports_the_models_identity(handler: ModuleType, context: LocalLambdaContext) -> None:
    body = _ok(handler.lambda_handler(rest_event("GET", "/health"), context))
    assert body["status"] == "ok"
    assert (body["function_name"], body["function_version"]) == ("checkbox-test", "7")
    model = body["model"]
    assert model["path"].endswith("fixtures/checkbox/yolov8_tiny/model.onnx") and model["source"] == model["path"]
    assert len(model["sha256"]) == 64 and model["size_bytes"] > 0
    assert model["input"] == {"name": "images", "width": 640, "height": 640}
    assert model["output"] == {"name": "output0", "layout": "yolov8"}
    assert (model["class_names"], model["class_names_source"]) == (["checked", "unchecked"], "metadata")
    assert model["metadata"]["imgsz"] == "[640, 640]" and model["metadata"]["task"] == "detect"
    assert body["limits"] == {
        "max_body_bytes": 4_500_000,
        "max_image_pixels": 40_000_000,
        "max_pages": 20,
        "max_detections": 300,
        "max_upload_bytes": None,
    }  # no UPLOADS_BUCKET: uploads off
    assert body["defaults"] == {"conf": 0.25, "iou": 0.45}


def test_post_predict_multipart_response_shape(handler: ModuleType, context: LocalLambdaContext) -> None:
    body = _ok(handler.lambda_handler(predict_event(PNG, conf="0.2", iou="0.5"), context))
    assert set(body) == {"pages", "model", "thresholds", "timing_ms"}
    (page,) = body["pages"]
    assert (page["page"], page["width"], page["height"]) == (0, 1000, 300)
    for detection in page["detections"]:
        assert set(detection) == {"class_id", "class_name", "confidence", "box"}
        assert detection["class_name"] == ("checked", "unchecked")[detection["class_id"]]
        assert 0.2 < detection["confidence"] <= 1
        box = detection["box"]
        assert 0 <= box["x1"] < box["x2"] <= 1000 and 0 <= box["y1"] < box["y2"] <= 300
    assert body["thresholds"] == {"conf": 0.2, "iou": 0.5}
    assert body["model"]["class_names"] == ["checked", "unchecked"] and len(body["model"]["sha256"]) == 64
    assert set(body["timing_ms"]) == {"decode", "preprocess", "inference", "postprocess"}
    assert all(isinstance(ms, float) and ms >= 0 for ms in body["timing_ms"].values())


def test_the_tiny_fixture_detects_something_on_a_form(handler: ModuleType, context: LocalLambdaContext) -> None:
    """The committed fixture has random weights, but a deterministic answer: a regression anchor
    for the whole real path (decode, letterbox, session, decode, NMS, mapping)."""
    from benchmarks.checkbox_form import encode, synthetic_form

    form, _ = synthetic_form(size=(1240, 1754))
    body = _ok(handler.lambda_handler(predict_event(encode(form, "PNG"), conf="0.3"), context))
    detections = body["pages"][0]["detections"]
    assert detections and len(detections) <= 300
    again = _ok(handler.lambda_handler(predict_event(encode(form, "PNG"), conf="0.3"), context))
    assert again["pages"] == body["pages"]


def test_multipart_from_urllib3_as_requests_sends_it(handler: ModuleType, context: LocalLambdaContext) -> None:
    body, content_type = encode_multipart_formdata({"file": ("scan.jpg", JPEG, "image/jpeg"), "conf": "0.3"})
    data = _ok(handler.lambda_handler(rest_event("POST", "/predict", body, content_type=content_type), context))
    assert data["thresholds"]["conf"] == 0.3 and data["pages"][0]["width"] == 1000


def test_json_with_a_base64_image(handler: ModuleType, context: LocalLambdaContext) -> None:
    payload = json.dumps({"image": base64.b64encode(PNG).decode(), "conf": 0.3, "iou": 0.6})
    via_json = _ok(
        handler.lambda_handler(rest_event("POST", "/predict", payload, content_type="application/json"), context)
    )
    via_form = _ok(handler.lambda_handler(predict_event(PNG, conf="0.3", iou="0.6"), context))
    assert via_json["pages"] == via_form["pages"]
    assert via_json["thresholds"] == {"conf": 0.3, "iou": 0.6}


def test_json_tolerates_a_data_url_and_wrapped_base64(handler: ModuleType, context: LocalLambdaContext) -> None:
    wrapped = base64.encodebytes(PNG).decode()  # 76-character lines, as `base64` prints
    for image in (f"data:image/png;base64,{base64.b64encode(PNG).decode()}", wrapped):
        payload = json.dumps({"image": image})
        body = _ok(
            handler.lambda_handler(rest_event("POST", "/predict", payload, content_type="application/json"), context)
        )
        assert body["thresholds"] == {"conf": 0.25, "iou": 0.45}  # the defaults


def test_json_sent_as_binary_is_decoded_too(handler: ModuleType, context: LocalLambdaContext) -> None:
    payload = json.dumps({"image": base64.b64encode(PNG).decode()})
    event = rest_event("POST", "/predict", payload, content_type="application/json; charset=utf-8", binary=True)
    assert event["isBase64Encoded"] is True
    _ok(handler.lambda_handler(event, context))


def test_the_raw_image_as_the_body_with_thresholds_in_the_query(
    handler: ModuleType, context: LocalLambdaContext
) -> None:
    event = rest_event("POST", "/predict", JPEG, content_type="image/jpeg", query={"conf": "0.35"})
    body = _ok(handler.lambda_handler(event, context))
    assert body["thresholds"] == {"conf": 0.35, "iou": 0.45}


def test_a_multipage_tiff_gives_one_entry_per_page(handler: ModuleType, context: LocalLambdaContext) -> None:
    data = multipage_tiff([(800, 1100), (1100, 800), (300, 300)], compression="tiff_lzw")
    body = _ok(handler.lambda_handler(predict_event(data, filename="scan.tif", content_type="image/tiff"), context))
    assert [(p["page"], p["width"], p["height"]) for p in body["pages"]] == [
        (0, 800, 1100),
        (1, 1100, 800),
        (2, 300, 300),
    ]


def test_webp(handler: ModuleType, context: LocalLambdaContext) -> None:
    body = _ok(
        handler.lambda_handler(predict_event(encoded(page_image(641, 479), "WEBP"), content_type="image/webp"), context)
    )
    assert (body["pages"][0]["width"], body["pages"][0]["height"]) == (641, 479)


def test_a_prediction_emits_metrics_with_the_service_dimension(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any
) -> None:
    capsys.readouterr()
    body = _ok(handler.lambda_handler(predict_event(multipage_tiff([(200, 200)] * 2)), context))
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["ImagesProcessed"]["value"] == [1.0] and metrics["PagesProcessed"]["value"] == [2.0]
    assert metrics["Detections"]["value"] == [float(sum(len(p["detections"]) for p in body["pages"]))]
    assert metrics["PagesProcessed"]["namespace"] == "MlInference"
    assert metrics["PagesProcessed"]["dimensions"] == {"service": "checkbox"}


# --- bad input: 400 naming the problem ------------------------------------------------------


def _bad(handler: ModuleType, context: LocalLambdaContext, event: dict[str, Any], capsys: Any) -> str:
    capsys.readouterr()
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400, response["body"]
    body = json_body(response)
    assert set(body) == {"error", "error_type"} and body["error_type"] == "ValidationError"
    assert emitted_metrics(capsys.readouterr().out)["ValidationErrors"]["dimensions"] == {"service": "checkbox"}
    return body["error"]


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    body, content_type = multipart(fields)
    return rest_event("POST", "/predict", body, content_type=content_type)


def _posted(body: str | bytes | None, content_type: str) -> dict[str, Any]:
    return rest_event("POST", "/predict", body, content_type=content_type)


def _truncated_jpeg() -> bytes:
    import numpy as np

    noisy = Image.fromarray(np.random.default_rng(2).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    data = encoded(noisy, "JPEG")
    return data[: len(data) // 2]


BAD_REQUESTS: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("no-file", lambda: _form({"conf": "0.2"}), "no 'file' field in the multipart body (fields sent: 'conf')"),
    ("empty-file", lambda: _form({"file": ("a.png", b"", "image/png")}), "the multipart field 'file' is empty"),
    ("two-files", lambda: _form({"file": ("a.png", PNG, "image/png"), "conf": "0.2"}) | {}, None),  # replaced below
    (
        "not-an-image",
        lambda: predict_event(b"this is a text file, not a scan\n", filename="a.txt", content_type="text/plain"),
        "the file is not a PNG, JPEG, TIFF or WebP image",
    ),
    ("gif", lambda: predict_event(encoded(page_image(30, 30), "GIF")), "(it is a GIF image)"),
    ("pdf", lambda: predict_event(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"), "(it is a PDF document)"),
    (
        "truncated",
        lambda: predict_event(_truncated_jpeg(), content_type="image/jpeg"),
        "cannot be decoded: image file is truncated",
    ),
    ("bomb", lambda: predict_event(png_claiming(100_000, 100_000)), "10,000,000,000 pixels; the limit is 40,000,000"),
    ("over-max-pixels", lambda: predict_event(png_claiming(8000, 6000)), "48,000,000 pixels; the limit is 40,000,000"),
    (
        "too-many-pages",
        lambda: predict_event(multipage_tiff([(20, 20)] * 21)),
        "the TIFF has 21 pages; the limit is 20",
    ),
    ("conf-too-high", lambda: predict_event(PNG, conf="1.5"), "'conf' must be strictly between 0 and 1, got 1.5"),
    ("conf-one", lambda: predict_event(PNG, conf="1"), "'conf' must be strictly between 0 and 1, got 1"),
    ("conf-zero", lambda: predict_event(PNG, conf="0"), "'conf' must be strictly between 0 and 1, got 0"),
    ("conf-negative", lambda: predict_event(PNG, conf="-0.1"), "'conf' must be strictly between 0 and 1"),
    (
        "conf-text",
        lambda: predict_event(PNG, conf="high"),
        "'conf' must be a number strictly between 0 and 1, got 'high'",
    ),
    ("conf-nan", lambda: predict_event(PNG, conf="nan"), "'conf' must be strictly between 0 and 1, got nan"),
    ("iou-too-high", lambda: predict_event(PNG, iou="2"), "'iou' must be strictly between 0 and 1, got 2"),
    ("iou-zero", lambda: predict_event(PNG, iou="0.0"), "'iou' must be strictly between 0 and 1"),
    (
        "json-conf-bool",
        lambda: _json({"image": base64.b64encode(PNG).decode(), "conf": True}),
        "'conf' must be a number",
    ),
    ("json-iou-list", lambda: _json({"image": base64.b64encode(PNG).decode(), "iou": [0.5]}), "'iou' must be a number"),
    ("json-no-image", lambda: _json({"conf": 0.3}), "send exactly one of 'image' and 's3_key' (neither sent)"),
    (
        "json-image-and-key",
        lambda: _json({"image": base64.b64encode(PNG).decode(), "s3_key": "checkbox-uploads/x"}),
        "send exactly one of 'image' and 's3_key' (both sent)",
    ),
    ("json-image-number", lambda: _json({"image": 12}), "'image' must be a string holding the image file in base64"),
    ("json-bad-base64", lambda: _json({"image": "not base64 at all!"}), "'image' is not valid base64"),
    ("json-empty-image", lambda: _json({"image": ""}), "'image' is empty"),
    ("json-not-object", lambda: _json([1, 2]), "the JSON body must be an object"),
    (
        "json-invalid",
        lambda: _posted('{"image": ', "application/json"),
        "the request body is not valid JSON: Expecting value at line 1 column 11",
    ),
    ("json-empty", lambda: _posted("", "application/json"), "the request body is empty"),
    ("empty-image-body", lambda: _posted(None, "image/png"), "the request body is empty"),
    ("bad-base64-body", lambda: _marked_base64("{not base64!}"), "marked base64-encoded but is not valid base64"),
    (
        "wrong-content-type",
        lambda: _posted("file=scan.png", "text/plain"),
        "Content-Type 'text/plain' is not accepted: send multipart/form-data with a 'file' field",
    ),
    (
        "form-urlencoded",
        lambda: _posted("conf=0.2", "application/x-www-form-urlencoded"),
        "Content-Type 'application/x-www-form-urlencoded' is not accepted",
    ),
    ("no-content-type", lambda: rest_event("POST", "/predict", PNG), "the request has no Content-Type header"),
    ("multipart-no-boundary", lambda: _posted(PNG, "multipart/form-data"), "has no boundary parameter"),
    ("multipart-truncated", lambda: _truncated_form(), "the multipart body is truncated"),
    (
        "over-the-size-limit",
        lambda: _posted(b"\xff" * 4_500_001, "image/jpeg"),
        "the request body is 4,500,001 bytes; the limit is 4,500,000 bytes",
    ),
    (
        "json-over-the-size-limit",
        lambda: _posted("{" + " " * 4_500_000 + "}", "application/json"),
        "the request body is 4,500,002 bytes; the limit is 4,500,000 bytes",
    ),
]
BAD_REQUESTS[2] = ("two-files", lambda: _form_two_files(), "the multipart field 'file' is sent 2 times: send it once")


def _json(payload: Any) -> dict[str, Any]:
    return rest_event("POST", "/predict", json.dumps(payload), content_type="application/json")


def _marked_base64(body: str) -> dict[str, Any]:
    event = rest_event("POST", "/predict", body, content_type="image/png", binary=False)
    event["isBase64Encoded"] = True
    return event


def _truncated_form() -> dict[str, Any]:
    body, content_type = multipart({"file": ("a.png", PNG, "image/png")})
    return rest_event("POST", "/predict", body[: len(body) // 2], content_type=content_type)


def _form_two_files() -> dict[str, Any]:
    boundary = "----twofiles"
    part = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + b"\r\n"
    )
    body = part + part + f"--{boundary}--\r\n".encode()
    return rest_event("POST", "/predict", body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(("name", "make_event", "message"), BAD_REQUESTS, ids=[name for name, _, _ in BAD_REQUESTS])
def test_bad_input_gets_a_400_that_says_what_to_fix(
    handler: ModuleType,
    context: LocalLambdaContext,
    capsys: Any,
    name: str,
    make_event: Callable[[], dict],
    message: str,
) -> None:
    error = _bad(handler, context, make_event(), capsys)
    assert message in error
    assert "binary media types" not in error  # every one of these arrived as API Gateway sends it


def test_a_body_over_the_limit_is_refused_before_it_is_decoded(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("an oversize body must not be base64-decoded")

    event = rest_event("POST", "/predict", b"\x00" * 4_600_000, content_type="image/png")
    monkeypatch.setattr(base64, "b64decode", no_decoding)
    assert "the request body is 4,600,000 bytes" in _bad(handler, context, event, capsys)


def test_a_binary_body_that_arrived_as_text_says_the_api_lacks_binary_media_types(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any
) -> None:
    body, content_type = multipart({"file": ("scan.png", PNG, "image/png")})
    event = rest_event("POST", "/predict", body.decode("utf-8", errors="replace"), content_type=content_type)
    assert event["isBase64Encoded"] is False  # what API Gateway does without a matching binary media type
    message = _bad(handler, context, event, capsys)
    assert "the file is not a PNG, JPEG, TIFF or WebP image" in message
    assert (
        "arrived as text, not base64: the API must declare multipart/form-data and image/* as binary media types"
        in message
    )


def test_an_exif_orientation_does_not_break_the_pixel_limit(handler: ModuleType, context: LocalLambdaContext) -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    data = encoded(page_image(600, 200), "JPEG", exif=exif.tobytes())
    body = _ok(handler.lambda_handler(predict_event(data, content_type="image/jpeg"), context))
    assert (body["pages"][0]["width"], body["pages"][0]["height"]) == (200, 600)
    assert Image.open(io.BytesIO(data)).size == (600, 200)


# --- unknown routes and faults --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/predict"), ("POST", "/health"), ("GET", "/"), ("PUT", "/predict"), ("GET", "/nope")]
)
def test_unknown_routes_are_404_naming_the_routes(
    handler: ModuleType, context: LocalLambdaContext, method: str, path: str
) -> None:
    response = handler.lambda_handler(rest_event(method, path), context)
    assert response["statusCode"] == 404
    assert json_body(response) == {
        "error": f"no route {method} {path}: use GET /health, POST /uploads or POST /predict",
        "error_type": "NotFound",
    }


def test_an_unexpected_fault_is_a_500_without_details_and_counts_internal_errors(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch, capsys: Any, caplog: Any
) -> None:
    error = RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code /onnxruntime_src/...")
    fail_with(monkeypatch, handler.DETECTOR, "run", error)
    capsys.readouterr()
    response = handler.lambda_handler(predict_event(PNG), context)
    assert response["statusCode"] == 500
    assert json_body(response) == internal_error_body(context)
    assert "onnxruntime" not in response["body"] and "Traceback" not in response["body"]
    metric = emitted_metrics(capsys.readouterr().out)["InternalErrors"]
    assert (metric["value"], metric["namespace"], metric["dimensions"]) == (
        [1.0],
        "MlInference",
        {"service": "checkbox"},
    )
    assert isinstance(logged_internal_error(caplog), RuntimeError)  # logged, with traceback


def test_a_memory_error_is_a_500_too(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr("checkbox.pipeline.open_image", exhausted)  # where the handler decodes images
    response = handler.lambda_handler(predict_event(PNG), context)
    assert response["statusCode"] == 500 and json_body(response)["error_type"] == "InternalError"


def test_a_hand_written_event_with_a_wrong_type_is_a_400_naming_the_key(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any
) -> None:
    # Never so in API Gateway's events, but a direct invoke may send anything: a 400, not a
    # 500 from the resolver tripping over it (issue 11).
    event = rest_event("GET", "/health")
    event["requestContext"] = "not an object"
    capsys.readouterr()
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert body["error_type"] == "ValidationError" and "'requestContext' must be an object, got string" in body["error"]
    assert emitted_metrics(capsys.readouterr().out)["ValidationErrors"]["value"] == [1.0]

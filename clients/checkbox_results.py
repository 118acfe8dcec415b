"""The checkbox detector's answers as typed values, read strictly from the documented shapes
(functions/checkbox/handler.py's docstring): a missing field, a wrong type or an unknown class
id is a `FunctionFailedError` ("MalformedResponse"), never a half-filled result.

    POST /predict -> {"pages": [{"page", "width", "height", "detections": [{"class_id",
                      "class_name", "confidence", "box": {"x1", "y1", "x2", "y2"}}]}],
                      "model": {"sha256", "input": {"width", "height"}, "class_names"},
                      "thresholds": {"conf", "iou"}, "timing_ms": {stage: ms}}
    POST /uploads -> {"s3_key", "upload_url", "method", "headers", "expires_in", "max_bytes"}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clients.errors import FunctionFailedError

MALFORMED = "MalformedResponse"


@dataclass(frozen=True)
class Box:
    """In the original image's pixels (as displayed: EXIF orientation applied)."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Detection:
    class_id: int
    class_name: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class Page:
    index: int  # 0-based; a multi-page TIFF has one page per frame
    width: int
    height: int
    detections: tuple[Detection, ...]


@dataclass(frozen=True)
class ModelSummary:
    sha256: str
    input_width: int
    input_height: int
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class Prediction:
    pages: tuple[Page, ...]
    model: ModelSummary
    conf: float
    iou: float
    timing_ms: Mapping[str, float]
    via: str  # "inline" or "upload": how the image reached the function


@dataclass(frozen=True)
class Upload:
    s3_key: str
    upload_url: str
    method: str
    headers: Mapping[str, str]
    expires_in: int
    max_bytes: int


def parse_prediction(body: bytes, *, via: str) -> Prediction:
    document = _object(_json(body), "the answer")
    model = _object(document.get("model"), "model")
    model_input = _object(model.get("input"), "model.input")
    class_names = tuple(
        _string(name, f"model.class_names[{i}]")
        for i, name in enumerate(_list(model.get("class_names"), "model.class_names"))
    )
    thresholds = _object(document.get("thresholds"), "thresholds")
    timing = _object(document.get("timing_ms"), "timing_ms")
    return Prediction(
        pages=tuple(
            _page(page, f"pages[{i}]", class_names) for i, page in enumerate(_list(document.get("pages"), "pages"))
        ),
        model=ModelSummary(
            sha256=_string(model.get("sha256"), "model.sha256"),
            input_width=_integer(model_input.get("width"), "model.input.width"),
            input_height=_integer(model_input.get("height"), "model.input.height"),
            class_names=class_names,
        ),
        conf=_number(thresholds.get("conf"), "thresholds.conf"),
        iou=_number(thresholds.get("iou"), "thresholds.iou"),
        timing_ms={stage: _number(ms, f"timing_ms.{stage}") for stage, ms in timing.items()},
        via=via,
    )


def parse_upload(body: bytes) -> Upload:
    document = _object(_json(body), "the answer")
    headers = _object(document.get("headers"), "headers")
    return Upload(
        s3_key=_string(document.get("s3_key"), "s3_key"),
        upload_url=_string(document.get("upload_url"), "upload_url"),
        method=_string(document.get("method"), "method"),
        headers={name: _string(value, f"headers.{name}") for name, value in headers.items()},
        expires_in=_integer(document.get("expires_in"), "expires_in"),
        max_bytes=_integer(document.get("max_bytes"), "max_bytes"),
    )


def _page(value: Any, where: str, class_names: tuple[str, ...]) -> Page:
    page = _object(value, where)
    return Page(
        index=_integer(page.get("page"), f"{where}.page"),
        width=_integer(page.get("width"), f"{where}.width"),
        height=_integer(page.get("height"), f"{where}.height"),
        detections=tuple(
            _detection(d, f"{where}.detections[{i}]", class_names)
            for i, d in enumerate(_list(page.get("detections"), f"{where}.detections"))
        ),
    )


def _detection(value: Any, where: str, class_names: tuple[str, ...]) -> Detection:
    detection = _object(value, where)
    class_id = _integer(detection.get("class_id"), f"{where}.class_id")
    class_name = _string(detection.get("class_name"), f"{where}.class_name")
    if not 0 <= class_id < len(class_names) or class_names[class_id] != class_name:
        raise _malformed(
            f"{where}: class {class_id} {class_name!r} is not in the model's class names {list(class_names)}"
        )
    box = _object(detection.get("box"), f"{where}.box")
    return Detection(
        class_id=class_id,
        class_name=class_name,
        confidence=_number(detection.get("confidence"), f"{where}.confidence"),
        box=Box(*(_number(box.get(corner), f"{where}.box.{corner}") for corner in ("x1", "y1", "x2", "y2"))),
    )


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(f"the answer is not JSON: {body[:200]!r}") from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{where} must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _malformed(f"{where} must be a list, got {type(value).__name__}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _malformed(f"{where} must be a string, got {type(value).__name__}")
    return value


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _malformed(f"{where} must be an integer, got {type(value).__name__}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _malformed(f"{where} must be a number, got {type(value).__name__}")
    return float(value)


def _malformed(message: str) -> FunctionFailedError:
    return FunctionFailedError(message=f"the answer is not the checkbox API's: {message}", error_type=MALFORMED)

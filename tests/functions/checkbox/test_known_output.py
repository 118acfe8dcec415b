"""Decoding, the confidence filter, class-aware NMS and the mapping back to original pixels,
checked exactly with the known-output fixture models (constant outputs, see
training/checkbox/build_fixtures.py): against hand-computed boxes, and against a plain-Python
reference for pages of awkward sizes, both on the detector and through the real handler with
real image files (JPEG decoded in draft mode, EXIF-rotated JPEG, PNG, WebP, TIFF)."""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from checkbox.detector import Detector
from checkbox.yolo import Letterbox
from tests.support.checkbox import encoded, page_image, predict_event
from tests.support.events import json_body
from tools.local_lambda import LocalLambdaContext
from training.checkbox.known_outputs import KNOWN_RECT, KNOWN_V5, KNOWN_V8

NAMES = ("checked", "unchecked")
PAGE_SIZES = [(2480, 3508), (3508, 2480), (1000, 300), (641, 479), (640, 640), (1280, 1280), (33, 999)]


def reference(
    table: np.ndarray,
    *,
    layout: str,
    page: tuple[int, int],
    input_hw: tuple[int, int] = (640, 640),
    conf: float = 0.25,
    iou: float = 0.45,
) -> list[dict[str, Any]]:
    """The expected detections, computed independently in plain Python (float64)."""
    width, height = page
    input_height, input_width = input_hw
    ratio = min(input_width / width, input_height / height)
    new_width, new_height = round(width * ratio), round(height * ratio)
    pad_left, pad_top = (input_width - new_width) // 2, (input_height - new_height) // 2
    candidates = []
    for index, row in enumerate(table.tolist()):
        cx, cy, w, h = row[:4]
        # Scores are the model's float32 values, compared with the threshold in float32 (a
        # score of 0.6 is not above conf 0.6 however the two round).
        scores = row[4:] if layout == "v8" else [float(np.float32(row[4]) * np.float32(p)) for p in row[5:]]
        best = max(range(len(scores)), key=lambda c: (scores[c], -c))
        if np.float32(scores[best]) > np.float32(conf):
            candidates.append((index, best, scores[best], (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    candidates.sort(key=lambda c: (-c[2], c[0]))
    kept: list[tuple[int, int, float, tuple[float, ...]]] = []
    for candidate in candidates:
        if all(other[1] != candidate[1] or _iou(other[3], candidate[3]) <= iou for other in kept):
            kept.append(candidate)
    detections = []
    for _, class_id, score, (x1, y1, x2, y2) in kept:
        sx, sy = width / new_width, height / new_height
        box = [
            min(max((x1 - pad_left) * sx, 0), width),
            min(max((y1 - pad_top) * sy, 0), height),
            min(max((x2 - pad_left) * sx, 0), width),
            min(max((y2 - pad_top) * sy, 0), height),
        ]
        if box[2] > box[0] and box[3] > box[1]:
            detections.append({"class_id": class_id, "class_name": NAMES[class_id], "confidence": score, "box": box})
    return detections


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def assert_same(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [(d["class_id"], d["class_name"]) for d in actual] == [(d["class_id"], d["class_name"]) for d in expected]
    for found, wanted in zip(actual, expected, strict=True):
        assert found["confidence"] == pytest.approx(wanted["confidence"], abs=5e-5)
        box = [found["box"][key] for key in ("x1", "y1", "x2", "y2")]
        assert box == pytest.approx(wanted["box"], abs=0.006 + 1e-6 * max(wanted["box"]))


def detect(detector: Detector, page: tuple[int, int], *, conf: float = 0.25, iou: float = 0.45) -> list[dict[str, Any]]:
    width, height = detector.input_size
    letterbox = Letterbox.fit(*page, input_width=width, input_height=height)
    output = detector.run(np.zeros((1, 3, height, width), dtype=np.float32))
    return detector.detections(output, letterbox, conf=conf, iou=iou, max_detections=300)


# --- the fixtures load as the function loads any export -------------------------------------


def test_the_known_models_identities(known_v8: Detector, known_v5: Detector, known_rect: Detector) -> None:
    assert (known_v8.identity.output_layout, known_v8.class_names, known_v8.identity.class_names_source) == (
        "yolov8",
        NAMES,
        "metadata",
    )
    assert (known_v5.identity.output_layout, known_v5.class_names, known_v5.identity.class_names_source) == (
        "yolov5",
        NAMES,
        "labels.json",
    )
    assert "names" not in known_v5.identity.metadata  # the v5 fixture's names come only from labels.json
    assert known_v8.input_size == (640, 640) and known_rect.input_size == (640, 384)


# --- exact, hand-computed -------------------------------------------------------------------


def test_a4_portrait_hand_computed(known_v8: Detector) -> None:
    """2480 x 3508 -> 452 x 640 at x = 94: x' = (x - 94) * 2480 / 452, y' = y * 3508 / 640."""
    detections = detect(known_v8, (2480, 3508))
    sx, sy = 2480 / 452, 3508 / 640
    by_confidence = {round(d["confidence"], 4): d for d in detections}
    assert sorted(by_confidence) == [0.3, 0.5, 0.55, 0.6, 0.65, 0.85, 0.9]
    row0, row2, row5, row7, row9 = (by_confidence[c] for c in (0.9, 0.85, 0.6, 0.3, 0.65))
    assert row0["class_name"] == "checked" and row2["class_name"] == "unchecked"  # other class: not suppressed
    assert list(row0["box"].values()) == pytest.approx([86 * sx, 180 * sy, 126 * sx, 220 * sy], abs=0.01)
    assert list(row5["box"].values()) == pytest.approx([106 * sx, 180 * sy, 146 * sx, 220 * sy], abs=0.01)
    assert list(row7["box"].values()) == [0.0, 0.0, 2480.0, 3508.0]  # the whole input: the whole page
    assert list(row9["box"].values()) == pytest.approx([(531 - 94) * sx, 285 * sy, 2480.0, 315 * sy], abs=0.01)
    assert 0.8 not in by_confidence  # row 1: same class, IoU 0.75 with row 0
    assert 0.2 not in by_confidence  # row 3: under conf
    assert 0.4 not in by_confidence  # row 8: entirely in the left padding
    assert 0.7 not in by_confidence  # row 4: in the right padding
    assert [d["confidence"] for d in detections] == sorted((d["confidence"] for d in detections), reverse=True)


def test_landscape_1000x300_hand_computed(known_v8: Detector) -> None:
    """1000 x 300 -> 640 x 192 at y = 224: x' = x * 1000 / 640, y' = (y - 224) * 300 / 192."""
    detections = {round(d["confidence"], 4): d for d in detect(known_v8, (1000, 300))}
    s = 1000 / 640
    assert list(detections[0.55]["box"].values()) == pytest.approx([485 * s, 0.0, 515 * s, 15 * s], abs=0.01)
    assert list(detections[0.4]["box"].values()) == pytest.approx([12 * s, 88 * s, 28 * s, 104 * s], abs=0.01)
    assert 0.9 not in detections  # row 0 (y 180..220) lies in the top padding of this page


def test_the_confidence_threshold_is_strict_and_per_request(known_v8: Detector) -> None:
    confidences = lambda conf: sorted(round(d["confidence"], 4) for d in detect(known_v8, (640, 640), conf=conf))  # noqa: E731
    assert confidences(0.1) == [0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.85, 0.9]
    assert confidences(0.5) == [0.55, 0.6, 0.65, 0.7, 0.85, 0.9]  # 0.5 itself is not above 0.5
    assert confidences(0.89) == [0.9]


def test_the_iou_threshold_is_per_request(known_v8: Detector) -> None:
    at = lambda iou: sorted(round(d["confidence"], 4) for d in detect(known_v8, (640, 640), iou=iou))  # noqa: E731
    assert 0.6 in at(0.45) and 0.6 not in at(0.3)  # row 5: IoU 1/3 with row 0
    assert 0.8 not in at(0.7) and 0.8 in at(0.8)  # row 1: IoU 0.75 with row 0


def test_yolov5_scores_are_objectness_times_class(known_v5: Detector) -> None:
    detections = detect(known_v5, (640, 640))
    assert [(d["class_name"], d["confidence"]) for d in detections] == [
        ("checked", pytest.approx(0.855, abs=1e-4)),
        ("unchecked", pytest.approx(0.72, abs=1e-4)),
        ("unchecked", pytest.approx(0.7, abs=1e-4)),
        ("unchecked", pytest.approx(0.45, abs=1e-4)),
    ]
    assert list(detections[2]["box"].values()) == pytest.approx([610.0, 0.0, 640.0, 20.0])  # clipped at the corner


# --- against the reference, for awkward page sizes ------------------------------------------


@pytest.mark.parametrize("page", PAGE_SIZES, ids=lambda p: f"{p[0]}x{p[1]}")
@pytest.mark.parametrize(("conf", "iou"), [(0.25, 0.45), (0.1, 0.3), (0.6, 0.9)])
def test_v8_matches_the_reference(known_v8: Detector, page: tuple[int, int], conf: float, iou: float) -> None:
    assert_same(
        detect(known_v8, page, conf=conf, iou=iou), reference(KNOWN_V8, layout="v8", page=page, conf=conf, iou=iou)
    )


@pytest.mark.parametrize("page", PAGE_SIZES, ids=lambda p: f"{p[0]}x{p[1]}")
def test_v5_matches_the_reference(known_v5: Detector, page: tuple[int, int]) -> None:
    assert_same(detect(known_v5, page), reference(KNOWN_V5, layout="v5", page=page))


@pytest.mark.parametrize("page", PAGE_SIZES, ids=lambda p: f"{p[0]}x{p[1]}")
def test_a_rectangular_input_matches_the_reference(known_rect: Detector, page: tuple[int, int]) -> None:
    assert_same(detect(known_rect, page), reference(KNOWN_RECT, layout="v8", page=page, input_hw=(384, 640)))


# --- through the handler, from real files ---------------------------------------------------


@pytest.mark.parametrize(
    ("page", "image_format", "mime"),
    [
        ((2480, 3508), "JPEG", "image/jpeg"),  # decoded at 1/4 scale in draft mode
        ((3508, 2480), "JPEG", "image/jpeg"),
        ((1000, 300), "PNG", "image/png"),
        ((641, 479), "WEBP", "image/webp"),
        ((641, 479), "TIFF", "image/tiff"),
    ],
    ids=lambda value: f"{value[0]}x{value[1]}" if isinstance(value, tuple) else None,
)
def test_boxes_come_back_in_original_pixels_through_the_handler(
    known_handler: ModuleType, context: LocalLambdaContext, page: tuple[int, int], image_format: str, mime: str
) -> None:
    data = encoded(page_image(*page), image_format)
    response = known_handler.lambda_handler(predict_event(data, content_type=mime), context)
    assert response["statusCode"] == 200, response["body"]
    (result,) = json_body(response)["pages"]
    assert (result["page"], result["width"], result["height"]) == (0, *page)
    assert_same(result["detections"], reference(KNOWN_V8, layout="v8", page=page))


def test_an_exif_rotated_jpeg_is_answered_in_upright_pixels(
    known_handler: ModuleType, context: LocalLambdaContext
) -> None:
    """Stored 3508 x 2480 with orientation 6 (rotate 90° clockwise to view): a 2480 x 3508
    portrait page, and boxes in the portrait's pixels."""
    stored = page_image(2480, 3508).transpose(Image.Transpose.ROTATE_90)  # what a sideways scanner stores
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(stored, "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).size == (3508, 2480)
    response = known_handler.lambda_handler(predict_event(data, content_type="image/jpeg"), context)
    (result,) = json_body(response)["pages"]
    assert (result["width"], result["height"]) == (2480, 3508)
    assert_same(result["detections"], reference(KNOWN_V8, layout="v8", page=(2480, 3508)))

"""Pure numpy logic: letterbox geometry and tensor, both output layouts, NMS, mapping back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkbox import yolo
from checkbox.yolo import Candidates, Letterbox


@pytest.mark.parametrize(
    ("size", "new", "pad"),
    [
        ((2480, 3508), (452, 640), (94, 0)),  # A4 portrait at 300 dpi
        ((3508, 2480), (640, 452), (0, 94)),  # A4 landscape
        ((1000, 300), (640, 192), (0, 224)),
        ((641, 479), (640, 478), (0, 81)),  # 478.25 rounds down
        ((1000, 301), (640, 193), (0, 223)),  # 192.64 rounds up; the odd pixel of padding goes below
        ((640, 640), (640, 640), (0, 0)),
        ((100, 50), (640, 320), (0, 160)),  # small images are scaled up, as ultralytics predicts
        ((1, 5000), (1, 640), (319, 0)),  # never below one pixel
    ],
)
def test_letterbox_fit(size: tuple[int, int], new: tuple[int, int], pad: tuple[int, int]) -> None:
    box = Letterbox.fit(*size, input_width=640, input_height=640)
    assert (box.new_width, box.new_height) == new
    assert (box.pad_left, box.pad_top) == pad
    assert (box.width, box.height) == size


def test_letterbox_into_a_rectangular_input() -> None:
    box = Letterbox.fit(2480, 3508, input_width=640, input_height=384)
    assert (box.new_width, box.new_height, box.pad_left, box.pad_top) == (271, 384, 184, 0)


def test_tensor_places_the_pixels_and_pads_with_ultralytics_grey() -> None:
    box = Letterbox.fit(4, 2, input_width=8, input_height=8)  # -> 8 x 4, padded 2 above and below
    pixels = np.arange(4 * 8 * 3, dtype=np.uint8).reshape(4, 8, 3)
    tensor = box.tensor(pixels)
    assert tensor.shape == (1, 3, 8, 8) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0, :, 2:6, :], pixels.transpose(2, 0, 1) / 255, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, :, :2, :], 114 / 255, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, :, 6:, :], 114 / 255, rtol=1e-6)


def test_tensor_refuses_pixels_of_the_wrong_size() -> None:
    box = Letterbox.fit(4, 2, input_width=8, input_height=8)
    with pytest.raises(ValueError, match="expected uint8 pixels of shape"):
        box.tensor(np.zeros((4, 7, 3), dtype=np.uint8))


def test_to_original_removes_padding_scales_per_axis_and_clips() -> None:
    box = Letterbox.fit(2480, 3508, input_width=640, input_height=640)  # 452 x 640 at x = 94
    boxes = np.array([[94, 0, 546, 640], [180, 180, 220, 220], [-5, -5, 700, 700]], dtype=np.float32)
    mapped = box.to_original(boxes)
    np.testing.assert_allclose(mapped[0], [0, 0, 2480, 3508], atol=1e-3)
    np.testing.assert_allclose(
        mapped[1], [(180 - 94) * 2480 / 452, 180 * 3508 / 640, (220 - 94) * 2480 / 452, 220 * 3508 / 640], rtol=1e-6
    )
    np.testing.assert_allclose(mapped[2], [0, 0, 2480, 3508])


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 10_000),
    height=st.integers(1, 10_000),
    input_width=st.sampled_from([320, 640, 1280]),
    input_height=st.sampled_from([320, 384, 640]),
    fx=st.floats(0, 1),
    fy=st.floats(0, 1),
)
def test_a_point_of_the_page_maps_back_to_itself(
    width: int, height: int, input_width: int, input_height: int, fx: float, fy: float
) -> None:
    """Forward (page -> input, as the pixels are placed) then back gives the same page point."""
    box = Letterbox.fit(width, height, input_width=input_width, input_height=input_height)
    assert 1 <= box.new_width <= input_width and 1 <= box.new_height <= input_height
    assert box.pad_left + box.new_width <= input_width and box.pad_top + box.new_height <= input_height
    x, y = fx * width, fy * height
    forward = np.array(
        [[x * box.new_width / width + box.pad_left, y * box.new_height / height + box.pad_top] * 2], dtype=np.float32
    )
    back = box.to_original(forward)[0]
    assert back[0] == pytest.approx(x, rel=1e-4, abs=width * 1e-5 + 1e-3)
    assert back[1] == pytest.approx(y, rel=1e-4, abs=height * 1e-5 + 1e-3)


# --- output layouts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "classes", "expected"),
    [
        ((1, 6, 8400), 2, ("yolov8", 2)),
        ((1, 8400, 7), 2, ("yolov5", 2)),
        ((1, 25200, 85), None, ("yolov5", 80)),
        ((1, 84, 8400), None, ("yolov8", 80)),
        ((1, 5, 8400), 1, ("yolov8", 1)),
        ((1, 6, 16), 2, ("yolov8", 2)),  # few anchors: the class count decides
        ((1, 16, 7), 2, ("yolov5", 2)),
    ],
)
def test_output_layout(shape: tuple[int, ...], classes: int | None, expected: tuple[str, int]) -> None:
    assert yolo.output_layout(shape, classes) == expected


@pytest.mark.parametrize(
    ("shape", "classes", "message"),
    [
        ((1, 300, 6), 2, "fits neither"),  # an export with NMS inside (nms=True)
        ((1, 84, 8400), 2, "fits neither"),
        ((2, 6, 8400), 2, "expected an output of shape"),
        ((6, 8400), 2, "expected an output of shape"),
        ((1, 4, 3), None, "not a YOLOv8 or YOLOv5"),
    ],
)
def test_output_layout_refuses_what_it_cannot_read(shape: tuple[int, ...], classes: int | None, message: str) -> None:
    with pytest.raises(yolo.LayoutError, match=message):
        yolo.output_layout(shape, classes)


def test_decode_v8_takes_the_best_class_and_filters_strictly_above_conf() -> None:
    rows = np.array(
        [[10, 10, 4, 2, 0.9, 0.1], [20, 20, 2, 2, 0.3, 0.6], [30, 30, 2, 2, 0.25, 0.0], [5, 5, 2, 2, 0.1, 0.2]],
        dtype=np.float32,
    )
    found = yolo.decode(rows.T[None], layout="yolov8", num_classes=2, conf=0.25)
    assert found.class_ids.tolist() == [0, 1]
    np.testing.assert_allclose(found.scores, [0.9, 0.6])
    np.testing.assert_allclose(found.boxes, [[8, 9, 12, 11], [19, 19, 21, 21]])


def test_decode_v5_scores_objectness_times_class_probability() -> None:
    rows = np.array(
        [
            [10, 10, 4, 2, 0.8, 0.5, 0.9],  # 0.72 class 1
            [20, 20, 2, 2, 0.9, 0.2, 0.1],  # 0.18: filtered although objectness is high
            [30, 30, 2, 2, 0.2, 1.0, 0.0],  # 0.2: objectness alone rules it out
            [40, 40, 2, 2, 0.5, 0.6, 0.1],  # 0.3 class 0
        ],
        dtype=np.float32,
    )
    found = yolo.decode(rows[None], layout="yolov5", num_classes=2, conf=0.25)
    assert found.class_ids.tolist() == [1, 0]
    np.testing.assert_allclose(found.scores, [0.72, 0.3], rtol=1e-6)
    np.testing.assert_allclose(found.boxes, [[8, 9, 12, 11], [39, 39, 41, 41]])


def test_decode_with_nothing_above_conf_is_empty() -> None:
    rows = np.zeros((1, 6, 100), dtype=np.float32)
    found = yolo.decode(rows, layout="yolov8", num_classes=2, conf=0.25)
    assert len(found) == 0 and found.boxes.shape == (0, 4)
    assert yolo.nms(found, iou=0.45, max_detections=300).tolist() == []


def _candidates(rows: list[tuple[float, float, float, float, float, int]]) -> Candidates:
    array = np.array(rows, dtype=np.float32)
    return Candidates(array[:, :4], array[:, 4], array[:, 5].astype(np.int64))


def test_nms_suppresses_overlaps_of_the_same_class_only() -> None:
    candidates = _candidates(
        [
            (0, 0, 10, 10, 0.9, 0),
            (1, 0, 11, 10, 0.8, 0),  # IoU 0.818 with the first, same class: suppressed
            (1, 0, 11, 10, 0.7, 1),  # same overlap, other class: kept
            (5, 0, 15, 10, 0.6, 0),  # IoU 1/3 with the first: kept at 0.45
            (20, 20, 30, 30, 0.95, 0),  # no overlap: kept, and first (best score)
        ]
    )
    assert yolo.nms(candidates, iou=0.45, max_detections=300).tolist() == [4, 0, 2, 3]
    assert yolo.nms(candidates, iou=0.3, max_detections=300).tolist() == [4, 0, 2]
    assert yolo.nms(candidates, iou=0.9, max_detections=300).tolist() == [4, 0, 1, 2, 3]
    assert yolo.nms(candidates, iou=0.45, max_detections=2).tolist() == [4, 0]


def test_nms_is_greedy_a_suppressed_box_suppresses_nothing() -> None:
    # B overlaps A and C; A suppresses B, so C (which only B overlapped) survives.
    candidates = _candidates([(0, 0, 10, 10, 0.9, 0), (6, 0, 16, 10, 0.8, 0), (12, 0, 22, 10, 0.7, 0)])
    assert yolo.nms(candidates, iou=0.2, max_detections=300).tolist() == [0, 2]


def test_nms_handles_degenerate_boxes() -> None:
    candidates = _candidates([(5, 5, 5, 5, 0.9, 0), (5, 5, 5, 5, 0.8, 0), (0, 0, 10, 10, 0.7, 0)])
    assert yolo.nms(candidates, iou=0.45, max_detections=300).tolist() == [0, 1, 2]  # zero area: IoU 0


def _random_candidates(count: int, seed: int) -> Candidates:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 600, (count, 2))
    wh = rng.uniform(5, 80, (count, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    return Candidates(boxes, rng.uniform(0, 1, count).astype(np.float32), rng.integers(0, 3, count))


@pytest.mark.parametrize("matrix_limit", [1024, 0], ids=["all-pairs-matrix", "row-by-row"])
def test_nms_matches_a_reference_on_random_boxes(matrix_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yolo, "MATRIX_NMS_LIMIT", matrix_limit)  # both ways NMS can run
    candidates = _random_candidates(400, seed=3)
    assert yolo.nms(candidates, iou=0.5, max_detections=1000).tolist() == _reference_nms(candidates, 0.5)


@pytest.mark.parametrize(("count", "iou", "max_detections"), [(60, 0.45, 300), (900, 0.3, 300), (900, 0.7, 25)])
def test_nms_keeps_the_same_boxes_either_way(
    count: int, iou: float, max_detections: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates = _random_candidates(count, seed=count)
    by_matrix = yolo.nms(candidates, iou=iou, max_detections=max_detections).tolist()
    monkeypatch.setattr(yolo, "MATRIX_NMS_LIMIT", 0)
    assert yolo.nms(candidates, iou=iou, max_detections=max_detections).tolist() == by_matrix


def _reference_nms(candidates: Candidates, threshold: float) -> list[int]:
    """Textbook greedy NMS per class, one pair at a time, in float64."""
    order = sorted(range(len(candidates)), key=lambda i: (-float(candidates.scores[i]), i))
    boxes = candidates.boxes.astype(np.float64)
    kept: list[int] = []
    for index in order:
        ok = True
        for other in kept:
            if candidates.class_ids[other] != candidates.class_ids[index]:
                continue
            a, b = boxes[index], boxes[other]
            inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            if union > 0 and inter / union > threshold:
                ok = False
                break
        if ok:
            kept.append(index)
    return kept

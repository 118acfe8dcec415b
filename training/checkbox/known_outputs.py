"""The constant outputs of the known-output fixtures (fixtures/checkbox/known_output/), in
numpy only, so tests can import them without the `onnx` package. build_fixtures.py bakes
them into the graphs."""

from __future__ import annotations

import numpy as np

CLASS_NAMES = ("checked", "unchecked")

# Constant outputs, one row per anchor, in model-input pixels (cx, cy, w, h, ...).
# YOLOv8: class scores. With conf 0.25 / iou 0.45: row 1 is the same class as row 0 with IoU
# 0.75 -> suppressed; row 2 overlaps row 0 as much but is the other class -> kept; row 3's best
# score 0.2 is under 0.25; row 5 has IoU 1/3 with row 0 (kept at iou 0.45, suppressed at 0.3);
# row 6 scores exactly 0.5 (dropped at conf 0.5: the comparison is strict). Borders: row 4
# sticks out of the input's top-right corner, row 7 covers the whole input, row 9 straddles
# the right edge of a portrait A4 page (its pixels span x 94..546), row 10 the top edge of a
# 1000 x 300 page (y 224..416): clipped to the page. Row 8 lies in the left padding of a
# portrait page: nothing of it is left after clipping, so it is dropped there.
KNOWN_V8 = np.array(
    [
        # cx,   cy,   w,   h,  checked, unchecked
        [200, 200, 40, 40, 0.90, 0.05],
        [204, 202, 40, 40, 0.80, 0.10],
        [202, 201, 40, 40, 0.10, 0.85],
        [400, 300, 30, 30, 0.20, 0.15],
        [630, 5, 40, 30, 0.05, 0.70],
        [220, 200, 40, 40, 0.60, 0.00],
        [100, 500, 20, 20, 0.50, 0.25],
        [320, 320, 640, 640, 0.30, 0.00],
        [20, 320, 16, 16, 0.00, 0.40],
        [546, 300, 30, 30, 0.00, 0.65],
        [500, 224, 30, 30, 0.55, 0.00],
        # anchors nothing fires on, as most of a real model's 8400 are
        *[[8 * i + 4, 8 * i + 4, 8, 8, 0.001 * i, 0.0] for i in range(7)],
    ],
    dtype=np.float32,
)
# YOLOv5: objectness and class probabilities; score = obj x p(class).
KNOWN_V5 = np.array(
    [
        # cx,   cy,   w,   h,  obj, p(checked), p(unchecked)
        [200, 200, 40, 40, 0.90, 0.95, 0.05],  # 0.855 checked
        [204, 202, 40, 40, 0.90, 0.85, 0.10],  # 0.765 checked, IoU 0.75 with row 0: suppressed
        [202, 201, 40, 40, 0.80, 0.10, 0.90],  # 0.72 unchecked: kept (other class)
        [400, 300, 30, 30, 0.90, 0.20, 0.10],  # 0.18: high objectness, low class score: dropped
        [100, 500, 20, 20, 0.20, 1.00, 0.00],  # 0.2: dropped (objectness caps the score)
        [500, 400, 30, 30, 0.50, 0.60, 0.90],  # 0.45 unchecked
        [630, 5, 40, 30, 0.70, 0.10, 1.00],  # 0.7 unchecked, clipped at the corner
        *[[8 * i + 4, 8 * i + 4, 8, 8, 0.01, 0.5, 0.5] for i in range(5)],
    ],
    dtype=np.float32,
)
RECT_INPUT = (384, 640)  # height, width
KNOWN_RECT = np.array(
    [
        [320, 192, 64, 64, 0.90, 0.00],  # the centre of the input
        [10, 10, 30, 30, 0.00, 0.80],  # the top-left corner
        [630, 374, 30, 30, 0.70, 0.00],  # the bottom-right corner
        [100, 100, 10, 10, 0.01, 0.02],
    ],
    dtype=np.float32,
)

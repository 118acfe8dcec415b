"""YOLOv8's anchor points, in the order ultralytics' make_anchors lays them out: the fixture
and benchmark graphs bake them into their box decoding as constants."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def anchor_grid(imgsz: int, strides: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(points [2, N], point_strides [N]): the centre of every cell of every level's grid (level
    by level, row by row) in that grid's units, and the stride of the level each point is on."""
    points, point_strides = [], []
    for stride in strides:
        side = imgsz // stride
        gy, gx = np.meshgrid(np.arange(side) + 0.5, np.arange(side) + 0.5, indexing="ij")
        points.append(np.stack([gx.ravel(), gy.ravel()]))
        point_strides.append(np.full(side * side, stride))
    return np.concatenate(points, axis=1), np.concatenate(point_strides)

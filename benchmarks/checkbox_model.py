"""A YOLOv8n-sized ONNX graph for the checkbox benchmark, built with the `onnx` helper API (no
torch, no weights download): the YOLOv8n topology layer for layer, random weights.

How it is sized: it is not "a network of about the same cost" but YOLOv8n's own architecture
(ultralytics/cfg/models/v8/yolov8.yaml at scale n: depth 0.33, width 0.25), so every Conv has
the shape it has in an exported yolov8n.onnx and the session does the same work:

    backbone  Conv 16/s2, Conv 32/s2, C2f 32 x1, Conv 64/s2, C2f 64 x2, Conv 128/s2, C2f 128 x2,
              Conv 256/s2, C2f 256 x1, SPPF 256 (MaxPool 5 x3)
    neck      Upsample, Concat, C2f 128 | Upsample, Concat, C2f 64 (P3) | Conv/s2, Concat, C2f 128 (P4)
              | Conv/s2, Concat, C2f 256 (P5)
    Detect    per level: 2 x Conv3x3 + Conv1x1 -> 64 box logits (DFL, reg_max 16) and
              2 x Conv3x3 + Conv1x1 -> nc class logits; DFL softmax + 1x1 conv, dist2bbox
              with anchors and strides, sigmoid -> output0 [1, 4 + nc, 8400]

BatchNorm is folded into the convolutions (as `yolo export` does); SiLU is Sigmoid + Mul (as
opset-17 exports write it). `graph_cost` of the nc=80 build gives 3.16 M parameters and
8.7 GFLOPs at 640, ultralytics' published figures for YOLOv8n (3.2 M, 8.7); the benchmark uses
nc=2 (checked, unchecked), which removes only the 78 unused class channels of the head.

Random weights give random scores; the class logits' bias is set so that a realistic number of
anchors pass the default confidence on the synthetic form (a few hundred candidates for NMS,
as a trained model gives for a form with ~90 checkboxes), so NMS and the response are costed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx

from training.checkbox.onnx_graph import GraphBuilder, GraphCost, graph_cost
from training.checkbox.yolo_anchors import anchor_grid

REG_MAX = 16
STRIDES = (8, 16, 32)
CLASS_NAMES = ("checked", "unchecked")


@dataclass(frozen=True)
class Scale:
    depth: float = 0.33
    width: float = 0.25
    max_channels: int = 1024


def _channels(c: int, scale: Scale) -> int:
    c = min(c, scale.max_channels) * scale.width
    return int(np.ceil(c / 8) * 8)  # ultralytics' make_divisible(c, 8)


def _repeats(n: int, scale: Scale) -> int:
    return max(round(n * scale.depth), 1) if n > 1 else n


class _Yolo:
    def __init__(self, graph: GraphBuilder) -> None:
        self.g = graph

    def conv(self, x: str, c1: int, c2: int, k: int = 1, s: int = 1) -> str:
        return self.g.conv(x, c1, c2, kernel=k, stride=s, activation="silu")

    def c2f(self, x: str, c1: int, c2: int, n: int, shortcut: bool) -> str:
        c = int(c2 * 0.5)
        y = self.conv(x, c1, 2 * c, 1)
        parts = self.g.ops("Split", [y, self.g.constant(np.array([c, c], dtype=np.int64))], 2, axis=1)
        current = parts[-1]
        for _ in range(n):
            z = self.conv(self.conv(current, c, c, 3), c, c, 3)
            current = self.g.op("Add", [current, z]) if shortcut else z
            parts.append(current)
        return self.conv(self.g.op("Concat", parts, axis=1), (2 + n) * c, c2, 1)

    def sppf(self, x: str, c1: int, c2: int) -> str:
        c = c1 // 2
        y = [self.conv(x, c1, c, 1)]
        for _ in range(3):
            y.append(self.g.max_pool(y[-1], kernel=5, stride=1))
        return self.conv(self.g.op("Concat", y, axis=1), c * 4, c2, 1)

    def upsample(self, x: str) -> str:
        scales = self.g.constant(np.array([1.0, 1.0, 2.0, 2.0], dtype=np.float32))
        return self.g.op("Resize", [x, "", scales], mode="nearest")


def build_yolov8(
    *,
    num_classes: int = len(CLASS_NAMES),
    imgsz: int = 640,
    seed: int = 8,
    class_bias: float = -6.8,
    class_weight_scale: float = 300.0,
    scale: Scale = Scale(),
) -> onnx.ModelProto:
    graph = GraphBuilder(seed=seed)
    m = _Yolo(graph)
    ch = lambda c: _channels(c, scale)  # noqa: E731
    rep = lambda n: _repeats(n, scale)  # noqa: E731

    x = graph.input("images", [1, 3, imgsz, imgsz])
    x = m.conv(x, 3, ch(64), 3, 2)
    x = m.conv(x, ch(64), ch(128), 3, 2)
    x = m.c2f(x, ch(128), ch(128), rep(3), True)
    x = m.conv(x, ch(128), ch(256), 3, 2)
    p3 = m.c2f(x, ch(256), ch(256), rep(6), True)
    x = m.conv(p3, ch(256), ch(512), 3, 2)
    p4 = m.c2f(x, ch(512), ch(512), rep(6), True)
    x = m.conv(p4, ch(512), ch(1024), 3, 2)
    x = m.c2f(x, ch(1024), ch(1024), rep(3), True)
    p5 = m.sppf(x, ch(1024), ch(1024))

    x = graph.op("Concat", [m.upsample(p5), p4], axis=1)
    h12 = m.c2f(x, ch(1024) + ch(512), ch(512), rep(3), False)
    x = graph.op("Concat", [m.upsample(h12), p3], axis=1)
    out3 = m.c2f(x, ch(512) + ch(256), ch(256), rep(3), False)
    x = graph.op("Concat", [m.conv(out3, ch(256), ch(256), 3, 2), h12], axis=1)
    out4 = m.c2f(x, ch(256) + ch(512), ch(512), rep(3), False)
    x = graph.op("Concat", [m.conv(out4, ch(512), ch(512), 3, 2), p5], axis=1)
    out5 = m.c2f(x, ch(512) + ch(1024), ch(1024), rep(3), False)

    levels = [(out3, ch(256)), (out4, ch(512)), (out5, ch(1024))]
    c2 = max(16, levels[0][1] // 4, REG_MAX * 4)
    c3 = max(levels[0][1], min(num_classes, 100))
    flat = []
    for feature, channels in levels:
        box = m.conv(m.conv(feature, channels, c2, 3), c2, c2, 3)
        box = graph.conv(box, c2, 4 * REG_MAX, activation=None, bias=1.0)
        cls = m.conv(m.conv(feature, channels, c3, 3), c3, c3, 3)
        cls = graph.conv(cls, c3, num_classes, activation=None, bias=class_bias, weight_scale=class_weight_scale)
        level = graph.op("Concat", [box, cls], axis=1)
        shape = graph.constant(np.array([1, 4 * REG_MAX + num_classes, -1], dtype=np.int64))
        flat.append(graph.op("Reshape", [level, shape]))
    points, point_strides = anchor_grid(imgsz, STRIDES)
    count = points.shape[1]
    raw = graph.op("Concat", flat, axis=2)
    box, cls = graph.ops(
        "Split", [raw, graph.constant(np.array([4 * REG_MAX, num_classes], dtype=np.int64))], 2, axis=1
    )

    # DFL: softmax over the 16 bins of each side, expectation via a fixed 1x1 conv.
    box = graph.op("Reshape", [box, graph.constant(np.array([1, 4, REG_MAX, count], dtype=np.int64))])
    box = graph.op("Softmax", [graph.op("Transpose", [box], perm=[0, 2, 1, 3])], axis=1)
    bins = graph.constant(np.arange(REG_MAX, dtype=np.float32).reshape(1, REG_MAX, 1, 1))
    distance = graph.op(
        "Reshape", [graph.op("Conv", [box, bins]), graph.constant(np.array([1, 4, count], dtype=np.int64))]
    )
    left_top, right_bottom = graph.ops("Split", [distance, graph.constant(np.array([2, 2], dtype=np.int64))], 2, axis=1)
    anchor_points = graph.constant(points[None].astype(np.float32))
    x1y1 = graph.op("Sub", [anchor_points, left_top])
    x2y2 = graph.op("Add", [anchor_points, right_bottom])
    center = graph.op("Div", [graph.op("Add", [x1y1, x2y2]), graph.constant(np.array(2.0, dtype=np.float32))])
    size = graph.op("Sub", [x2y2, x1y1])
    stride_row = graph.constant(point_strides[None, None].astype(np.float32))
    xywh = graph.op("Mul", [graph.op("Concat", [center, size], axis=1), stride_row])
    output = graph.op("Concat", [xywh, graph.op("Sigmoid", [cls])], axis=1, name="output0")
    graph.output(output, [1, 4 + num_classes, count])

    names = "{" + ", ".join(f"{i}: {name!r}" for i, name in enumerate(_names(num_classes))) + "}"
    return graph.build(
        graph_name="main_graph",
        doc="YOLOv8n topology with random weights: checkbox benchmark model (benchmarks/checkbox_model.py)",
        metadata={
            "description": "YOLOv8n-sized benchmark graph, random weights",
            "author": "benchmarks.checkbox_model",
            "version": "benchmark",
            "task": "detect",
            "stride": str(max(STRIDES)),
            "batch": "1",
            "imgsz": f"[{imgsz}, {imgsz}]",
            "names": names,
        },
    )


def _names(num_classes: int) -> list[str]:
    if num_classes == len(CLASS_NAMES):
        return list(CLASS_NAMES)
    return [f"class{i}" for i in range(num_classes)]


def cost(num_classes: int = len(CLASS_NAMES), imgsz: int = 640) -> GraphCost:
    return graph_cost(build_yolov8(num_classes=num_classes, imgsz=imgsz))

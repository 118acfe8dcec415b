"""Builds the checkbox detector's committed ONNX test fixtures with the `onnx` helper API (no torch).

    python -m training.checkbox.build_fixtures            # (re)write fixtures/checkbox/
    python -m training.checkbox.build_fixtures --check    # exit 1 if a committed file differs

fixtures/checkbox/
  yolov8_tiny/model.onnx     A tiny conv net (Conv/Relu/MaxPool, seeded weights) with exactly the
                             interface of `yolo export format=onnx imgsz=640`: input `images`
                             [1, 3, 640, 640], output `output0` [1, 4 + 2, 8400] (strides 8/16/32),
                             and the metadata ultralytics writes (names, imgsz, stride, task...).
                             The image bakes it in by default; tests load it the real way.
  known_output/v8/           Ignores the pixels: emits the constant YOLOv8-layout tensor
                             KNOWN_V8 (names in metadata), so decoding, the confidence filter,
                             class-aware NMS and the mapping back to image pixels can be
                             checked exactly.
  known_output/v5/           The same idea in the YOLOv5 layout (objectness x class scores),
                             class names from a labels.json beside the model (no names metadata).
  known_output/v8_rect/      A rectangular input [1, 3, 384, 640] (`imgsz=[384, 640]`), KNOWN_RECT.

Every file is byte-for-byte reproducible (seeded weights, no timestamps): --check proves the
committed fixtures are what this script builds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx

from stacks.common.paths import REPO_ROOT
from training.checkbox.known_outputs import CLASS_NAMES, KNOWN_RECT, KNOWN_V5, KNOWN_V8, RECT_INPUT
from training.checkbox.onnx_graph import GraphBuilder, serialize
from training.checkbox.yolo_anchors import anchor_grid

FIXTURES_DIR = REPO_ROOT / "fixtures" / "checkbox"
NAMES_METADATA = "{0: 'checked', 1: 'unchecked'}"  # exactly how ultralytics writes it
STRIDES = (8, 16, 32)


def ultralytics_metadata(*, description: str, imgsz: tuple[int, int], names: bool = True) -> dict[str, str]:
    """The metadata_props `yolo export` writes (without its date, to stay reproducible)."""
    metadata = {
        "description": description,
        "author": "training.checkbox.build_fixtures",
        "version": "fixture",
        "license": "test fixture",
        "stride": str(max(STRIDES)),
        "task": "detect",
        "batch": "1",
        "imgsz": f"[{imgsz[0]}, {imgsz[1]}]",
    }
    if names:
        metadata["names"] = NAMES_METADATA
    return metadata


def tiny_yolov8(*, seed: int = 20240601, imgsz: int = 640) -> onnx.ModelProto:
    g = GraphBuilder(seed=seed)
    nc = len(CLASS_NAMES)
    x = g.input("images", [1, 3, imgsz, imgsz])
    x = g.max_pool(g.conv(x, 3, 8, kernel=3, stride=2, activation="relu"), kernel=2, stride=2)  # /4
    p3 = g.max_pool(g.conv(x, 8, 16, kernel=3, activation="relu"), kernel=2, stride=2)  # /8
    p4 = g.conv(g.max_pool(p3, kernel=2, stride=2), 16, 16, kernel=3, activation="relu")  # /16
    p5 = g.conv(g.max_pool(p4, kernel=2, stride=2), 16, 16, kernel=3, activation="relu")  # /32
    flat = []
    for feature in (p3, p4, p5):
        head = g.conv(feature, 16, 4 + nc, activation=None, bias=np.array([0, 0, -1, -1, -1.5, -1.5], dtype=np.float32))
        flat.append(g.op("Reshape", [head, g.constant(np.array([1, 4 + nc, -1], dtype=np.int64))]))
    points, point_strides = anchor_grid(imgsz, STRIDES)
    count = points.shape[1]
    raw = g.op("Concat", flat, axis=2)
    xy, wh, cls = g.ops("Split", [raw, g.constant(np.array([2, 2, nc], dtype=np.int64))], 3, axis=1)
    stride_row = g.constant(point_strides[None, None].astype(np.float32))
    anchor_points = g.constant(points[None].astype(np.float32))
    half = g.constant(np.array(0.5, dtype=np.float32))
    centre = g.op("Mul", [g.op("Add", [anchor_points, g.op("Sub", [g.op("Sigmoid", [xy]), half])]), stride_row])
    size = g.op("Mul", [g.op("Mul", [g.op("Sigmoid", [wh]), g.constant(np.array(4.0, dtype=np.float32))]), stride_row])
    output = g.op("Concat", [centre, size, g.op("Sigmoid", [cls])], axis=1, name="output0")
    g.output(output, [1, 4 + nc, count])
    return g.build(
        graph_name="main_graph",
        doc="Tiny YOLOv8-layout test fixture (training/checkbox/build_fixtures.py); random weights",
        metadata=ultralytics_metadata(description="Tiny YOLOv8-layout checkbox fixture", imgsz=(imgsz, imgsz)),
    )


def constant_output(table: np.ndarray, *, layout: str, input_hw: tuple[int, int], names: bool) -> onnx.ModelProto:
    """A graph whose output is `table` whatever the pixels (which it still reads: 0 x their mean)."""
    g = GraphBuilder(seed=0)
    height, width = input_hw
    images = g.input("images", [1, 3, height, width])
    tensor = table.T[None] if layout == "yolov8" else table[None]  # [1, 4+nc, N] or [1, N, 5+nc]
    zero = g.op("Mul", [g.op("ReduceMean", [images], keepdims=0), g.constant(np.array(0.0, dtype=np.float32))])
    output = g.op("Add", [g.constant(np.ascontiguousarray(tensor)), zero], name="output0")
    g.output(output, list(tensor.shape))
    return g.build(
        graph_name="known_output",
        doc=f"Constant {layout}-layout output for exact decoding tests (training/checkbox/build_fixtures.py)",
        metadata=ultralytics_metadata(description=f"Known-output {layout} fixture", imgsz=input_hw, names=names),
    )


def fixture_files() -> dict[Path, bytes]:
    labels = (json.dumps({str(i): name for i, name in enumerate(CLASS_NAMES)}, indent=2) + "\n").encode()
    return {
        FIXTURES_DIR / "yolov8_tiny" / "model.onnx": serialize(tiny_yolov8()),
        FIXTURES_DIR / "known_output" / "v8" / "model.onnx": serialize(
            constant_output(KNOWN_V8, layout="yolov8", input_hw=(640, 640), names=True)
        ),
        FIXTURES_DIR / "known_output" / "v5" / "model.onnx": serialize(
            constant_output(KNOWN_V5, layout="yolov5", input_hw=(640, 640), names=False)
        ),
        FIXTURES_DIR / "known_output" / "v5" / "labels.json": labels,
        FIXTURES_DIR / "known_output" / "v8_rect" / "model.onnx": serialize(
            constant_output(KNOWN_RECT, layout="yolov8", input_hw=RECT_INPUT, names=True)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, content in fixture_files().items():
        relative = path.relative_to(REPO_ROOT)
        if args.check:
            if not path.is_file() or path.read_bytes() != content:
                stale.append(str(relative))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {relative} ({len(content):,} bytes)")
    if stale:
        print("stale fixtures (run python -m training.checkbox.build_fixtures): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

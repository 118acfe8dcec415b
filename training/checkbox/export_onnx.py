"""Export the user's YOLO weights to ONNX for the checkbox function, and check an export the way
the function will load it.

    # export (needs `pip install ultralytics`, which pulls torch: a training machine, not Lambda)
    python -m training.checkbox.export_onnx --weights runs/detect/train/weights/best.pt \\
        --imgsz 640 --output models/checkbox/model.onnx

    # check an existing export (needs only the function's runtime: onnxruntime, numpy, Pillow)
    python -m training.checkbox.export_onnx --check models/checkbox/model.onnx

The export is exactly `yolo export model=best.pt format=onnx imgsz=640 opset=17 simplify=True
dynamic=False`. The check loads the file with the function's own loader (checkbox.detector),
prints what the function will report (input size, output layout, class names and where they
come from, sha256) and runs one blank page through it; it fails with the loader's message
for an export the function cannot serve (NMS inside the graph, no fixed input size...).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from stacks.common.paths import REPO_ROOT

OPSET = 17


def export(weights: Path, *, imgsz: int | list[int], output: Path) -> Path:
    """ultralytics' ONNX export with the settings the function expects; the file is moved to `output`."""
    try:
        from ultralytics import YOLO
    except ImportError:
        raise SystemExit(
            "ultralytics is not installed: `pip install ultralytics` on the machine that trained the"
            " model (it is never part of the function), or run `yolo export model=best.pt format=onnx"
            f" imgsz=640 opset={OPSET} simplify=True dynamic=False` there and pass the file to --check"
        ) from None
    exported = Path(YOLO(str(weights)).export(format="onnx", imgsz=imgsz, opset=OPSET, simplify=True, dynamic=False))
    output.parent.mkdir(parents=True, exist_ok=True)
    if exported.resolve() != output.resolve():
        shutil.move(str(exported), output)
    return output


def check(model_path: Path) -> dict:
    """What the function will make of `model_path`; raises the function's ModelError if unusable."""
    functions_dir = str(REPO_ROOT / "functions")
    if functions_dir not in sys.path:
        sys.path.insert(0, functions_dir)
    import numpy as np

    from checkbox.detector import Detector
    from checkbox.yolo import Letterbox

    detector = Detector.load(model_path, intra_op_threads=1)
    width, height = detector.input_size
    page = Letterbox.fit(2480, 3508, input_width=width, input_height=height)
    output = detector.run(page.tensor(np.full((page.new_height, page.new_width, 3), 255, dtype=np.uint8)))
    detector.detections(output, page, conf=0.25, iou=0.45, max_detections=300)
    return {**detector.identity.as_dict(), "output_shape": list(output.shape)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, help="the trained weights (best.pt)")
    parser.add_argument("--imgsz", type=int, nargs="+", default=[640], help="export size: 640, or height width")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "models" / "checkbox" / "model.onnx")
    parser.add_argument("--check", type=Path, metavar="MODEL_ONNX", help="only check an existing export")
    arguments = parser.parse_args(argv)
    if (arguments.weights is None) == (arguments.check is None):
        parser.error("give --weights to export, or --check MODEL_ONNX to check an export")
    model_path = arguments.check
    if arguments.weights is not None:
        imgsz = arguments.imgsz[0] if len(arguments.imgsz) == 1 else arguments.imgsz
        model_path = export(arguments.weights, imgsz=imgsz, output=arguments.output)
        print(f"exported {arguments.weights} -> {model_path}", file=sys.stderr)
    try:
        report = check(model_path)
    except Exception as error:  # the loader's ModelError names the problem
        print(f"{model_path}: the checkbox function cannot serve this model: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

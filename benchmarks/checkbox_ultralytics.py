"""ultralytics' side of the checkbox benchmark: a worker process run under the interpreter given
as `--ultralytics-python` (default .venv-train/bin/python: torch, ultralytics, opencv-python,
onnxruntime), started by benchmarks/checkbox.py. Standard library + what that venv has; it never
imports the function's code and never downloads anything (YOLO_OFFLINE=1, settings under a
scratch YOLO_CONFIG_DIR).

    python benchmarks/checkbox_ultralytics.py --model models/checkbox/model.onnx --imgsz 640 640

Protocol (one JSON object per line, as benchmarks/checkbox_warm.py): first {"ready": ...,
versions, thread settings}; then requests:
- {"predict": {"path", "repeats", "warmup"}} -> {"times_ms": [...], "detections":
  [[class_id, confidence, x1, y1, x2, y2], ...]}. One timed call is what a user of ultralytics
  does with an uploaded file: `cv2.imdecode` of the encoded bytes (already in memory: the
  request body), `model.predict(array, imgsz=..., conf=0.25, iou=0.45, max_det=300,
  device="cpu", verbose=False)`, the boxes as Python lists and `json.dumps` of them.
- {"letterbox": {"pages": [path, ...], "directory"}} -> ultralytics' own
  `LetterBox(new_shape=imgsz, auto=False)` of each decoded page (what predict feeds the model,
  before the /255), saved RGB as <directory>/<file name>.npy, and its window {top, left, height,
  width} -> {"windows": {path: {...}}}.
- {"quit": true}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--imgsz", type=int, nargs=2, required=True, metavar=("HEIGHT", "WIDTH"))
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--iou", type=float, default=0.45)
    parser.add_argument("--max-det", type=int, default=300)
    arguments = parser.parse_args()
    protocol = sys.stdout
    sys.stdout = sys.stderr  # anything ultralytics prints stays off the protocol stream

    import cv2
    import numpy as np
    import onnxruntime
    import torch
    import ultralytics
    from ultralytics import YOLO
    from ultralytics.data.augment import LetterBox

    def answer(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    model = YOLO(arguments.model, task="detect")
    imgsz = tuple(arguments.imgsz)
    options = {
        "imgsz": imgsz,
        "conf": arguments.conf,
        "iou": arguments.iou,
        "max_det": arguments.max_det,
        "device": "cpu",
        "verbose": False,
    }

    def predict(data: bytes) -> str:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        (result,) = model.predict(image, **options)
        boxes = result.boxes
        detections = [
            [int(c), float(s), *map(float, box)]
            for c, s, box in zip(boxes.cls.tolist(), boxes.conf.tolist(), boxes.xyxy.tolist(), strict=True)
        ]
        return json.dumps(detections)

    predict(cv2.imencode(".png", np.full((64, 64, 3), 255, np.uint8))[1].tobytes())  # builds the predictor
    session = _ort_session(model)
    session_options = session.get_session_options() if session is not None else None
    answer(
        {
            "ready": True,
            "versions": {
                "ultralytics": ultralytics.__version__,
                "torch": torch.__version__,
                "opencv": cv2.__version__,
                "onnxruntime": onnxruntime.__version__,
                "numpy": np.__version__,
                "python": sys.version.split()[0],
            },
            "threads": {
                "onnxruntime_intra_op": session_options.intra_op_num_threads if session_options else None,
                "onnxruntime_inter_op": session_options.inter_op_num_threads if session_options else None,
                "onnxruntime_spinning": _config_entry(
                    session_options, "session.intra_op.allow_spinning", "default (on)"
                ),
                "torch": torch.get_num_threads(),
                "opencv": cv2.getNumThreads(),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            },
            "providers": session.get_providers() if session is not None else None,
        }
    )

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        if "predict" in request:
            job = request["predict"]
            data = Path(job["path"]).read_bytes()
            times, answered = [], "[]"
            for call in range(job["warmup"] + job["repeats"]):
                started = time.perf_counter_ns()
                answered = predict(data)
                elapsed = (time.perf_counter_ns() - started) / 1e6
                if call >= job["warmup"]:
                    times.append(elapsed)
            answer({"times_ms": times, "detections": json.loads(answered)})
        elif "letterbox" in request:
            job = request["letterbox"]
            letterbox = LetterBox(new_shape=imgsz, auto=False)
            windows = {}
            for path in job["pages"]:
                image = cv2.imdecode(np.frombuffer(Path(path).read_bytes(), np.uint8), cv2.IMREAD_COLOR)
                params = letterbox.get_params({"img": image})
                boxed = letterbox(image=image)
                target = Path(job["directory"]) / (Path(path).name + ".npy")
                np.save(target, np.ascontiguousarray(boxed[..., ::-1]))  # BGR -> RGB, as predict does
                new_width, new_height = params["new_unpad"]
                windows[path] = {
                    "npy": str(target),
                    "top": int(params["top"]),
                    "left": int(params["left"]),
                    "height": int(new_height),
                    "width": int(new_width),
                }
            answer({"windows": windows})
        else:
            answer({"error": f"unknown request {sorted(request)}"})


def _config_entry(options: Any, key: str, default: str) -> str:
    try:
        return options.get_session_config_entry(key) or default
    except Exception:  # absent entries raise
        return default


def _ort_session(model: Any) -> Any:
    """The onnxruntime session ultralytics created (AutoBackend -> backend.session)."""
    backend = getattr(getattr(model.predictor, "model", None), "backend", None)
    return getattr(backend, "session", None) or getattr(getattr(model.predictor, "model", None), "session", None)


if __name__ == "__main__":
    main()

"""The detector: an exported YOLO ONNX model in an onnxruntime session, and its identity.

What the model must be: one float (or float16) image input [1, 3, H, W] with a fixed H and W
(`yolo export ... imgsz=640 dynamic=False`; for a dynamic export the `imgsz` metadata gives the
size), and a first output in the YOLOv8 layout [1, 4 + classes, N] or the YOLOv5 layout
[1, N, 5 + classes] (see yolo.py). Exports with NMS inside the graph (`nms=True`) are not
read: the function does its own NMS.

Class names, first found wins:
1. labels.json beside the model: ["checked", "unchecked"] or {"0": "checked", "1": "unchecked"}
2. the `names` metadata ultralytics writes, a Python dict literal such as
   "{0: 'checked', 1: 'unchecked'}", read with ast.literal_eval (a literal parser: no code runs)
3. class0, class1, ... (the output's width tells how many)
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime

from checkbox import yolo
from checkbox.config import LABELS_FILE
from lambda_common.errors import ModelError
from lambda_common.onnx_sessions import session_options

# Metadata ultralytics writes that identifies an export (reported by health checks).
IDENTITY_METADATA = ("description", "author", "date", "version", "license", "task", "stride", "imgsz", "batch")
MAX_NAMES_TEXT = 100_000
_INTEGERS = re.compile(r"-?\d+")


@dataclass(frozen=True)
class ModelIdentity:
    """What a health check reports: which file, its checksum, and how the function reads it."""

    path: str
    source: str  # the path, or the s3:// URI it was downloaded from
    sha256: str
    size_bytes: int
    input_name: str
    input_width: int
    input_height: int
    output_name: str
    output_layout: str | None  # None until the first run for an output of dynamic shape
    class_names: tuple[str, ...]
    class_names_source: str  # "labels.json" | "metadata" | "default"
    metadata: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "input": {"name": self.input_name, "width": self.input_width, "height": self.input_height},
            "output": {"name": self.output_name, "layout": self.output_layout},
            "class_names": list(self.class_names),
            "class_names_source": self.class_names_source,
            "metadata": dict(self.metadata),
        }


class Detector:
    """A loaded model: create once per execution environment, call per page."""

    def __init__(
        self,
        *,
        session: onnxruntime.InferenceSession,
        identity: ModelIdentity,
        layout: yolo.Layout | None,
        input_dtype: type[np.floating],
    ) -> None:
        self._session = session
        self._layout = layout
        self._input_dtype = input_dtype
        self.identity = identity

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the model's input."""
        return self.identity.input_width, self.identity.input_height

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.identity.class_names

    @classmethod
    def load(cls, model_path: Path, *, intra_op_threads: int, source: str | None = None) -> Detector:
        """Load and check a model; ModelError says what is wrong with it."""
        model_path = Path(model_path)
        try:
            model_bytes = model_path.read_bytes()
        except OSError as error:
            raise ModelError(f"cannot read the model {model_path}: {error.strerror or error}") from error
        session = _session(model_bytes, intra_op_threads=intra_op_threads, path=model_path)
        metadata = dict(session.get_modelmeta().custom_metadata_map)

        inputs = session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(f"{model_path.name} has {len(inputs)} inputs; a YOLO export has one image input")
        (image_input,) = inputs
        input_dtypes: dict[str, type[np.floating]] = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
        input_dtype = input_dtypes.get(image_input.type)
        if input_dtype is None:
            raise ModelError(f"{model_path.name}'s input is {image_input.type}; expected float or float16 pixels")
        input_height, input_width = _input_size(image_input.shape, metadata, model_path.name)

        output = session.get_outputs()[0]
        names, names_source = _class_names(model_path.parent / LABELS_FILE, metadata)
        layout: yolo.Layout | None = None
        static = all(isinstance(d, int) for d in output.shape)
        if static:
            try:
                layout, num_classes = yolo.output_layout(tuple(output.shape), len(names) if names else None)
            except yolo.LayoutError as error:
                raise ModelError(f"{model_path.name}: {error}") from error
            if names is None:
                names, names_source = tuple(f"class{i}" for i in range(num_classes)), "default"
        elif names is None:
            raise ModelError(
                f"{model_path.name} has an output of dynamic shape {output.shape} and no class names:"
                f" put a {LABELS_FILE} beside it or export with ultralytics (which writes them)"
            )
        identity = ModelIdentity(
            path=str(model_path),
            source=source or str(model_path),
            sha256=hashlib.sha256(model_bytes).hexdigest(),
            size_bytes=len(model_bytes),
            input_name=image_input.name,
            input_width=input_width,
            input_height=input_height,
            output_name=output.name,
            output_layout=layout,
            class_names=names,
            class_names_source=names_source,
            metadata={key: metadata[key] for key in IDENTITY_METADATA if key in metadata},
        )
        return cls(session=session, identity=identity, layout=layout, input_dtype=input_dtype)

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """The raw first output for one [1, 3, H, W] float32 input."""
        if self._input_dtype is not np.float32:
            tensor = tensor.astype(self._input_dtype)
        (output,) = self._session.run([self.identity.output_name], {self.identity.input_name: tensor})
        return output if output.dtype == np.float32 else output.astype(np.float32)

    def layout(self, output: np.ndarray) -> tuple[yolo.Layout, int]:
        if self._layout is not None:
            return self._layout, len(self.class_names)
        try:
            return yolo.output_layout(tuple(output.shape), len(self.class_names))
        except yolo.LayoutError as error:
            raise ModelError(f"the model's output: {error}") from error

    def detections(
        self, output: np.ndarray, letterbox: yolo.Letterbox, *, conf: float, iou: float, max_detections: int
    ) -> list[dict[str, Any]]:
        """Detections of one page, best first, boxes in the page's original pixels."""
        layout, num_classes = self.layout(output)
        candidates = yolo.decode(output, layout=layout, num_classes=num_classes, conf=conf)
        kept = candidates.take(yolo.nms(candidates, iou=iou, max_detections=max_detections))
        page_boxes = letterbox.to_original(kept.boxes)
        on_page = yolo.has_area(page_boxes)  # a box wholly in the padding clips to nothing
        kept, page_boxes = kept.take(np.flatnonzero(on_page)), page_boxes[on_page]
        boxes = np.round(page_boxes.astype(np.float64), 2).tolist()
        scores = np.round(kept.scores.astype(np.float64), 4).tolist()
        names = self.class_names
        return [
            {
                "class_id": class_id,
                "class_name": names[class_id],
                "confidence": score,
                "box": {"x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3]},
            }
            for class_id, score, box in zip(kept.class_ids.tolist(), scores, boxes, strict=True)
        ]


def _session(model_bytes: bytes, *, intra_op_threads: int, path: Path) -> onnxruntime.InferenceSession:
    options = session_options(intra_op_threads=intra_op_threads)
    # Threads spin while a run hands work from operator to operator (onnxruntime's default, as
    # ultralytics runs it) and stop the moment the run returns, so they do not compete with the
    # next page's decoding and the resize's second thread. Measured on 2 cores, decode + resize
    # + run of a 150 dpi page back to back: run 46.5 ms spinning vs 50.7 ms not; resize 4.0 ms
    # with the stop vs 6.0 ms with the threads still spinning after the run.
    options.add_session_config_entry("session.force_spinning_stop", "1")
    try:
        return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for bad models
        raise ModelError(f"onnxruntime cannot load {path}: {error}") from error


def _input_size(shape: list[Any], metadata: dict[str, str], name: str) -> tuple[int, int]:
    """(height, width) of an image input [1, 3, H, W]; `imgsz` metadata for symbolic dims."""
    if len(shape) != 4 or shape[1] not in (3, "3"):
        raise ModelError(f"{name}'s input has shape {shape}; expected [1, 3, height, width] (RGB images)")
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return height, width
    sizes = [int(value) for value in _INTEGERS.findall(metadata.get("imgsz", ""))]
    if len(sizes) == 1:
        sizes *= 2
    if len(sizes) == 2 and all(32 <= size <= 8192 for size in sizes):
        return sizes[0], sizes[1]
    raise ModelError(
        f"{name}'s input size is dynamic ({shape}) and its metadata has no imgsz: export with a fixed"
        " size (yolo export ... imgsz=640 dynamic=False)"
    )


def _class_names(labels_path: Path, metadata: dict[str, str]) -> tuple[tuple[str, ...] | None, str]:
    if labels_path.is_file():
        try:
            content = json.loads(labels_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot read {labels_path}: {error}") from error
        return names_from(content, where=str(labels_path)), LABELS_FILE
    text = metadata.get("names")
    if text is None:
        return None, "default"
    return parse_names_metadata(text), "metadata"


def parse_names_metadata(text: str) -> tuple[str, ...]:
    """The class names of ultralytics' `names` metadata: "{0: 'checked', 1: 'unchecked'}".

    ast.literal_eval only builds literals (no names, calls or attributes are evaluated), and
    the text is length-capped so a hostile file cannot make it recurse or allocate much."""
    if len(text) > MAX_NAMES_TEXT:
        raise ModelError(f"the model's 'names' metadata is {len(text)} characters long; refusing to parse it")
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise ModelError(f"the model's 'names' metadata is not a dict literal of class names: {error}") from None
    return names_from(value, where="the model's 'names' metadata")


def names_from(value: Any, *, where: str) -> tuple[str, ...]:
    """Class names from a list, or a dict of class index (int or digit string) -> name."""
    if isinstance(value, (list, tuple)):
        names = tuple(value)
    elif isinstance(value, dict):
        try:
            indexed = {int(key): name for key, name in value.items()}
        except (TypeError, ValueError):
            raise ModelError(f"{where} must map class indices to names, got keys {list(value)[:5]}") from None
        if sorted(indexed) != list(range(len(indexed))):
            raise ModelError(f"{where} must name classes 0..{len(indexed) - 1}, got indices {sorted(indexed)[:10]}")
        names = tuple(indexed[index] for index in range(len(indexed)))
    else:
        raise ModelError(f"{where} must be a list of names or a dict of index -> name, got {type(value).__name__}")
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ModelError(f"{where} must hold at least one non-empty string name, got {list(names)[:10]}")
    return names

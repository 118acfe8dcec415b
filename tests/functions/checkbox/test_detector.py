"""Loading an export: identity, class names (metadata, labels.json, default), input size, the
layouts, and the exports the function refuses with a ModelError saying why."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from checkbox.detector import Detector, parse_names_metadata
from checkbox.yolo import Letterbox
from lambda_common.errors import ModelError
from tests.support.checkbox import KNOWN_V8_MODEL, TINY_MODEL


def test_the_tiny_fixture_loads_as_an_ultralytics_export_would() -> None:
    detector = Detector.load(TINY_MODEL, intra_op_threads=1)
    identity = detector.identity
    assert identity.sha256 == hashlib.sha256(TINY_MODEL.read_bytes()).hexdigest()
    assert identity.size_bytes == TINY_MODEL.stat().st_size
    assert (identity.input_name, identity.input_width, identity.input_height) == ("images", 640, 640)
    assert (identity.output_name, identity.output_layout) == ("output0", "yolov8")
    assert (identity.class_names, identity.class_names_source) == (("checked", "unchecked"), "metadata")
    output = detector.run(np.full((1, 3, 640, 640), 0.5, dtype=np.float32))
    assert output.shape == (1, 6, 8400) and output.dtype == np.float32


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("{0: 'checked', 1: 'unchecked'}", ("checked", "unchecked")),
        ("{1: 'unchecked', 0: 'checked'}", ("checked", "unchecked")),
        ("{'0': 'a', '1': 'b'}", ("a", "b")),
        ("['a', 'b', 'c']", ("a", "b", "c")),
        ('  {0: "box"}  ', ("box",)),
    ],
)
def test_names_metadata_is_read_as_a_literal(text: str, names: tuple[str, ...]) -> None:
    assert parse_names_metadata(text) == names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('touch /tmp/pwned')", "not a dict literal"),  # never evaluated
        ("{0: open('/etc/passwd').read()}", "not a dict literal"),
        ("{0: 'a', 2: 'b'}", "must name classes 0..1"),
        ("{0: 'a', 1: 7}", "non-empty string"),
        ("{}", "at least one"),
        ("'checked'", "must be a list of names or a dict"),
        ("{0: 'a'" + ", 1: 'b'" * 20_000 + "}", "characters long; refusing to parse it"),
    ],
    ids=["call", "open", "gap", "not-a-string", "empty", "string", "huge"],
)
def test_names_metadata_that_is_not_a_names_literal_is_refused(text: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_names_metadata(text)
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("labels", [["ticked", "empty"], {"0": "ticked", "1": "empty"}])
def test_a_labels_file_beside_the_model_overrides_the_metadata(tmp_path: Path, labels: object) -> None:
    shutil.copy(TINY_MODEL, tmp_path / "model.onnx")
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    identity = Detector.load(tmp_path / "model.onnx", intra_op_threads=1).identity
    assert (identity.class_names, identity.class_names_source) == (("ticked", "empty"), "labels.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read"),
        ('["one", "two", "three"]', r"fits neither \[1, 4\+3, N\] \(YOLOv8\) nor \[1, N, 5\+3\] \(YOLOv5\)"),
        ('{"0": "a", "5": "b"}', "must name classes 0..1"),
        ('["a", ""]', "non-empty string"),
    ],
)
def test_a_bad_labels_file_stops_the_load(tmp_path: Path, content: str, message: str) -> None:
    shutil.copy(TINY_MODEL, tmp_path / "model.onnx")
    (tmp_path / "labels.json").write_text(content)
    with pytest.raises(ModelError, match=message):
        Detector.load(tmp_path / "model.onnx", intra_op_threads=1)


def test_a_missing_or_corrupt_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the model"):
        Detector.load(tmp_path / "absent.onnx", intra_op_threads=1)
    (tmp_path / "model.onnx").write_bytes(b"this is not protobuf")
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        Detector.load(tmp_path / "model.onnx", intra_op_threads=1)
    (tmp_path / "truncated.onnx").write_bytes(TINY_MODEL.read_bytes()[:5000])
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        Detector.load(tmp_path / "truncated.onnx", intra_op_threads=1)


def test_the_source_is_reported_as_given() -> None:
    detector = Detector.load(KNOWN_V8_MODEL, intra_op_threads=1, source="s3://models/checkbox/model.onnx")
    assert detector.identity.source == "s3://models/checkbox/model.onnx"
    assert detector.identity.path == str(KNOWN_V8_MODEL)


# --- exports built on the fly with the onnx helper API --------------------------------------


def _export(
    tmp_path: Path,
    *,
    input_shape: list,
    output_rows: np.ndarray | None = None,
    output_shape: list | None = None,
    metadata: dict[str, str] | None = None,
    dtype: str = "float",
    extra_input: bool = False,
) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    elem = {"float": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "uint8": TensorProto.UINT8}[dtype]
    table = output_rows if output_rows is not None else np.zeros((1, 6, 10), dtype=np.float32)
    constant = table.astype(np.float16 if dtype == "float16" else np.float32)
    nodes = [
        helper.make_node("Cast", ["images"], ["as_float"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["as_float"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Cast", ["nothing"], ["nothing_typed"], to=elem if dtype != "uint8" else TensorProto.FLOAT),
    ]
    initializers = [
        numpy_helper.from_array(constant, "table"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
    ]
    if output_shape is None:
        nodes.append(helper.make_node("Add", ["table", "nothing_typed"], ["output0"]))
    else:  # a shape onnxruntime cannot know before running: reshaped by the input's (symbolic) batch size
        nodes += [
            helper.make_node("Shape", ["images"], ["input_shape"], start=0, end=1),
            helper.make_node("Concat", ["input_shape", "rest"], ["target"], axis=0),
            helper.make_node("Reshape", ["table", "target"], ["reshaped"]),
            helper.make_node("Add", ["reshaped", "nothing_typed"], ["output0"]),
        ]
        initializers.append(numpy_helper.from_array(np.array([-1, constant.shape[2]], dtype=np.int64), "rest"))
        input_shape = ["batch", *input_shape[1:]]
    inputs = [helper.make_tensor_value_info("images", elem, input_shape)]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("scale", TensorProto.FLOAT, [1]))
    out_elem = elem if dtype != "uint8" else TensorProto.FLOAT
    inputs[0] = helper.make_tensor_value_info("images", elem, input_shape)
    graph = helper.make_graph(
        nodes,
        "export",
        inputs,
        [helper.make_tensor_value_info("output0", out_elem, output_shape or list(constant.shape))],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    if metadata:
        helper.set_model_props(model, metadata)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return path


def test_a_dynamic_input_takes_its_size_from_the_imgsz_metadata(tmp_path: Path) -> None:
    path = _export(
        tmp_path, input_shape=[1, 3, "height", "width"], metadata={"imgsz": "[480, 640]", "names": "{0: 'a', 1: 'b'}"}
    )
    assert Detector.load(path, intra_op_threads=1).input_size == (640, 480)


def test_a_dynamic_input_without_imgsz_is_refused(tmp_path: Path) -> None:
    path = _export(tmp_path, input_shape=[1, 3, "height", "width"])
    with pytest.raises(ModelError, match=r"input size is dynamic .* export with a fixed size"):
        Detector.load(path, intra_op_threads=1)


def test_without_names_the_classes_are_numbered_from_the_output(tmp_path: Path) -> None:
    path = _export(tmp_path, input_shape=[1, 3, 320, 320], output_rows=np.zeros((1, 7, 2100), dtype=np.float32))
    identity = Detector.load(path, intra_op_threads=1).identity
    assert (identity.class_names, identity.class_names_source) == (("class0", "class1", "class2"), "default")
    assert (identity.input_width, identity.input_height, identity.output_layout) == (320, 320, "yolov8")


def test_a_float16_export_runs(tmp_path: Path) -> None:
    rows = np.zeros((1, 6, 4), dtype=np.float32)
    rows[0, :, 0] = [100, 100, 20, 20, 0.9, 0.1]
    path = _export(
        tmp_path,
        input_shape=[1, 3, 640, 640],
        output_rows=rows,
        dtype="float16",
        metadata={"names": "{0: 'checked', 1: 'unchecked'}"},
    )
    detector = Detector.load(path, intra_op_threads=1)
    output = detector.run(np.zeros((1, 3, 640, 640), dtype=np.float32))
    assert output.dtype == np.float32
    (found,) = detector.detections(
        output, Letterbox.fit(640, 640, input_width=640, input_height=640), conf=0.25, iou=0.45, max_detections=10
    )
    assert found["class_name"] == "checked" and found["confidence"] == pytest.approx(0.9, abs=1e-3)


def test_an_output_of_dynamic_shape_is_laid_out_at_the_first_run(tmp_path: Path) -> None:
    rows = np.zeros((1, 4, 7), dtype=np.float32)  # YOLOv5 layout, 2 classes
    rows[0, 0] = [50, 50, 10, 10, 0.9, 0.2, 0.8]
    path = _export(
        tmp_path,
        input_shape=[1, 3, 640, 640],
        output_rows=rows,
        output_shape=[1, "anchors", "values"],
        metadata={"names": "{0: 'checked', 1: 'unchecked'}"},
    )
    detector = Detector.load(path, intra_op_threads=1)
    assert detector.identity.output_layout is None
    output = detector.run(np.zeros((1, 3, 640, 640), dtype=np.float32))
    (found,) = detector.detections(
        output, Letterbox.fit(640, 640, input_width=640, input_height=640), conf=0.25, iou=0.45, max_detections=10
    )
    assert (found["class_name"], found["confidence"]) == ("unchecked", pytest.approx(0.72, abs=1e-4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": [1, 3, 640, 640], "extra_input": True}, "has 2 inputs"),
        ({"input_shape": [1, 3, 640, 640], "dtype": "uint8"}, r"input is tensor\(uint8\)"),
        ({"input_shape": [1, 1, 640, 640]}, r"expected \[1, 3, height, width\]"),
        (
            {
                "input_shape": [1, 3, 640, 640],
                "output_rows": np.zeros((1, 300, 6), dtype=np.float32),
                "metadata": {"names": "{0: 'checked', 1: 'unchecked'}"},
            },
            "fits neither",
        ),  # exported with nms=True
        (
            {"input_shape": [1, 3, 640, 640], "output_rows": np.zeros((1, 4, 3), dtype=np.float32)},
            "not a YOLOv8 or YOLOv5",
        ),
        (
            {
                "input_shape": [1, 3, 640, 640],
                "output_rows": np.zeros((1, 6, 10), dtype=np.float32),
                "output_shape": [1, 6, "n"],
            },
            "dynamic shape .* and no class names",
        ),
    ],
    ids=["two-inputs", "uint8-input", "grey-input", "nms-export", "tiny-output", "dynamic-output-no-names"],
)
def test_exports_the_function_cannot_read_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = _export(tmp_path, **kwargs)
    with pytest.raises(ModelError, match=message):
        Detector.load(path, intra_op_threads=1)

"""training/checkbox/export_onnx.py: the ultralytics export call it makes (with a stand-in
ultralytics module: no torch, no weights here) and the check it runs with the function's loader."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.support.checkbox import KNOWN_V5_MODEL, TINY_MODEL
from training.checkbox import export_onnx


def test_the_export_is_the_documented_yolo_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class YOLO:  # the part of ultralytics' API the script uses
        def __init__(self, weights: str) -> None:
            self.weights = weights

        def export(self, **arguments: Any) -> str:
            calls.append((self.weights, arguments))
            exported = tmp_path / "runs" / "best.onnx"  # ultralytics writes beside the weights
            exported.parent.mkdir(exist_ok=True)
            shutil.copy(TINY_MODEL, exported)
            return str(exported)

    monkeypatch.setitem(sys.modules, "ultralytics", types.SimpleNamespace(YOLO=YOLO))
    output = tmp_path / "models" / "checkbox" / "model.onnx"
    assert export_onnx.main(["--weights", "best.pt", "--imgsz", "640", "--output", str(output)]) == 0
    assert calls == [("best.pt", {"format": "onnx", "imgsz": 640, "opset": 17, "simplify": True, "dynamic": False})]
    assert output.read_bytes() == TINY_MODEL.read_bytes()
    report = json.loads(capsys.readouterr().out)
    assert report["input"] == {"name": "images", "width": 640, "height": 640}
    assert report["output_shape"] == [1, 6, 8400] and report["class_names"] == ["checked", "unchecked"]


def test_a_rectangular_size_is_passed_as_height_width(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class YOLO:
        def __init__(self, weights: str) -> None:
            pass

        def export(self, **arguments: Any) -> str:
            seen.update(arguments)
            shutil.copy(TINY_MODEL, tmp_path / "best.onnx")
            return str(tmp_path / "best.onnx")

    monkeypatch.setitem(sys.modules, "ultralytics", types.SimpleNamespace(YOLO=YOLO))
    export_onnx.main(["--weights", "best.pt", "--imgsz", "384", "640", "--output", str(tmp_path / "out.onnx")])
    assert seen["imgsz"] == [384, 640]


def test_without_ultralytics_it_says_how_to_export_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ultralytics", None)  # import fails
    with pytest.raises(SystemExit, match="yolo export model=best.pt format=onnx imgsz=640 opset=17"):
        export_onnx.main(["--weights", "best.pt"])


def test_check_reports_what_the_function_will_load(capsys: Any) -> None:
    assert export_onnx.main(["--check", str(KNOWN_V5_MODEL)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["output"]["layout"], report["class_names_source"]) == ("yolov5", "labels.json")


def test_check_fails_with_the_loaders_reason(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    assert export_onnx.main(["--check", str(tmp_path / "model.onnx")]) == 1
    assert "the checkbox function cannot serve this model: onnxruntime cannot load" in capsys.readouterr().err

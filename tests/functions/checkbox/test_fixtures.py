"""The committed ONNX fixtures: reproducible from training/checkbox/build_fixtures.py, small, and
with an ultralytics export's interface; and the benchmark's graph is YOLOv8n-sized."""

from __future__ import annotations

import subprocess
import sys

import onnxruntime
import pytest

from stacks.common.paths import REPO_ROOT
from tests.support.checkbox import FIXTURES_DIR, KNOWN_RECT_MODEL, KNOWN_V5_MODEL, KNOWN_V8_MODEL, TINY_MODEL
from tests.support.fresh_imports import packages_loaded


def test_the_committed_fixtures_are_what_the_script_builds() -> None:
    import onnx  # noqa: F401  (requirements-dev.txt)

    completed = subprocess.run(
        [sys.executable, "-m", "training.checkbox.build_fixtures", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


def test_the_fixtures_are_small() -> None:
    assert TINY_MODEL.stat().st_size < 1024 * 1024
    for path in (KNOWN_V8_MODEL, KNOWN_V5_MODEL, KNOWN_RECT_MODEL):
        assert path.stat().st_size < 16 * 1024
    models = [p for p in FIXTURES_DIR.rglob("*") if p.is_file() and p.parent.name != "parity" and p.suffix != ".jpg"]
    assert sum(p.stat().st_size for p in models) < 1024 * 1024
    # The trained model's held-out pages and sample form: reference data, kept under 8 MB.
    reference = [p for p in FIXTURES_DIR.rglob("*") if p.is_file() and p not in models]
    assert reference and sum(p.stat().st_size for p in reference) < 8 * 1024 * 1024


def test_the_tiny_fixture_has_the_interface_of_yolo_export() -> None:
    session = onnxruntime.InferenceSession(str(TINY_MODEL), providers=["CPUExecutionProvider"])
    (image_input,) = session.get_inputs()
    assert (image_input.name, image_input.shape, image_input.type) == ("images", [1, 3, 640, 640], "tensor(float)")
    (output,) = session.get_outputs()
    assert (output.name, output.shape) == ("output0", [1, 6, 8400])
    metadata = session.get_modelmeta().custom_metadata_map
    assert metadata["names"] == "{0: 'checked', 1: 'unchecked'}"
    assert (metadata["imgsz"], metadata["stride"], metadata["task"], metadata["batch"]) == (
        "[640, 640]",
        "32",
        "detect",
        "1",
    )


def test_the_build_tooling_needs_no_torch() -> None:
    import onnx  # noqa: F401  (requirements-dev.txt)

    tooling = ["training.checkbox.build_fixtures", "benchmarks.checkbox_model"]
    assert packages_loaded(tooling, ("torch", "ultralytics", "torchvision")) == []


def test_the_benchmark_graph_is_yolov8n_sized() -> None:
    """The YOLOv8n topology at nc=80 gives ultralytics' published size (3.2 M parameters,
    8.7 GFLOPs at 640); the benchmark's nc=2 build only drops unused class channels."""
    import onnx  # noqa: F401  (requirements-dev.txt)

    from benchmarks.checkbox_model import build_yolov8
    from training.checkbox.onnx_graph import graph_cost

    coco = graph_cost(build_yolov8(num_classes=80))
    weights = coco.parameters - 8400 * 3 - 16  # less the anchor, stride and DFL-bin constants
    assert weights == pytest.approx(3_157_200, rel=0.002)  # ultralytics' summary of yolov8n: 3,157,200 parameters
    assert coco.gflops == pytest.approx(8.7, abs=0.1)
    checkbox = graph_cost(build_yolov8(num_classes=2))
    assert 2.9e6 < checkbox.parameters < coco.parameters and 7.9 < checkbox.gflops < coco.gflops

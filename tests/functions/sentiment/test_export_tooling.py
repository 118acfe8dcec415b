"""The export tooling's checks and the committed fixture it produced, without torch or transformers
(the export itself runs in the Docker build stage and in `python -m training.sentiment.build_fixture`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from stacks.common.paths import REPO_ROOT
from tests.support.fresh_imports import packages_loaded
from tests.support.sentiment import FIXTURE_FP32_MODEL_DIR, FIXTURE_MODEL_DIR
from training.sentiment import export_onnx
from training.sentiment.export_onnx import ExportError, check_fp32, check_int8, label_map
from training.sentiment.samples import validation_texts

MAX_FIXTURE_BYTES = 5 * 1024 * 1024


def test_the_tooling_imports_torch_and_transformers_only_when_exporting() -> None:
    tooling = ["training.sentiment.export_onnx", "training.sentiment.build_fixture"]
    assert packages_loaded(tooling, ("torch", "transformers", "onnx")) == []


def test_fp32_check_allows_at_most_1e3() -> None:
    reference = np.array([[1.0, -1.0], [0.5, 0.25]], dtype=np.float32)
    assert check_fp32(reference, reference + 0.0009).passed
    failed = check_fp32(reference, reference + np.array([[0.0, 0.0], [0.0, 0.002]], dtype=np.float32))
    assert not failed.passed and failed.max_abs_logit_diff == pytest.approx(0.002, rel=1e-3)


@pytest.mark.parametrize(("flipped", "passes"), [(0, True), (3, True), (4, False)])
def test_int8_check_needs_the_same_label_on_99_percent(flipped: int, passes: bool) -> None:
    reference = np.tile(np.array([[2.0, -2.0]], dtype=np.float32), (300, 1))
    quantized = reference.copy()
    quantized[:flipped] = [[-2.0, 2.0]]
    check = check_int8(reference, quantized)
    assert check.passed is passes
    assert (check.disagreements, check.samples) == (flipped, 300)


def test_checks_refuse_mismatched_shapes() -> None:
    with pytest.raises(ExportError, match="same non-empty"):
        check_fp32(np.zeros((3, 2)), np.zeros((2, 2)))


def test_labels_are_lower_case_and_generic_ones_need_names() -> None:
    assert label_map({0: "NEGATIVE", 1: "POSITIVE"}) == {"0": "negative", "1": "positive"}
    with pytest.raises(ExportError, match=r"generic \(label_0, label_1\); name them with --labels"):
        label_map({0: "LABEL_0", 1: "LABEL_1"})
    assert label_map({0: "LABEL_0", 1: "LABEL_1"}, ["Negative", "Positive"]) == {"0": "negative", "1": "positive"}
    with pytest.raises(ExportError, match="names 3 labels but the model has 2"):
        label_map({0: "a", 1: "b"}, ["x", "y", "z"])


def test_a_bad_opset_fails_with_a_message_and_exit_status_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export_onnx.main(["--model", "any", "--output", str(tmp_path / "out"), "--opset", "13"]) == 1
    assert "export_onnx: FAILED: opset must be at least 17, got 13" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_validation_samples_are_a_few_hundred_varied_texts() -> None:
    texts = validation_texts()
    assert len(texts) == 300 and texts == validation_texts()  # deterministic
    lengths = sorted(len(text) for text in texts)
    assert lengths[0] <= 10 and lengths[-1] >= 3000  # a word ... far past 512 tokens
    assert sum(length > 2500 for length in lengths) >= 10
    assert len(set(texts)) >= 250


@pytest.mark.parametrize(("directory", "quantization"), [(FIXTURE_MODEL_DIR, "int8"), (FIXTURE_FP32_MODEL_DIR, "none")])
def test_the_committed_fixture_passed_the_exports_validation(directory: Path, quantization: str) -> None:
    metadata = json.loads((directory / "model.json").read_text())
    assert metadata["format_version"] == 1
    assert metadata["model_id"] == "fixture/tiny-distilbert-sentiment"
    assert metadata["quantization"] == quantization
    assert metadata["sha256"] == hashlib.sha256((directory / "model.onnx").read_bytes()).hexdigest()
    assert metadata["opset"] >= 17
    figures = metadata["export"]
    assert figures["samples"] >= 200
    assert figures["fp32_max_abs_logit_diff"] <= 1e-3
    if quantization == "int8":
        assert figures["int8_label_agreement"] >= 0.99
    tokenizer = json.loads((directory / "tokenizer.json").read_text())
    assert tokenizer["truncation"]["max_length"] == metadata["max_length"] == 512
    assert tokenizer["padding"] is None  # the function pads, per batch


def test_the_committed_fixture_is_small() -> None:
    total = sum(path.stat().st_size for path in (REPO_ROOT / "fixtures" / "sentiment").rglob("*") if path.is_file())
    assert total < MAX_FIXTURE_BYTES


def test_these_tests_import_neither_torch_nor_transformers() -> None:
    """Every module of this test package, imported in a fresh interpreter (as collection does)."""
    test_dir = Path(__file__).resolve().parent
    modules = ["tests.functions.sentiment.conftest"] + [
        f"tests.functions.sentiment.{path.stem}" for path in sorted(test_dir.glob("test_*.py"))
    ]
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO_ROOT / 'functions'}:{REPO_ROOT}"}
    heavy = ("torch", "transformers", "onnx", "onnxscript")
    assert packages_loaded(modules, heavy, env=environment) == []

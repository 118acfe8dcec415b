"""The committed checkbox model and its parity reference agree with each other and with the
generator (no torch, no ultralytics: what `make train-checkbox` wrote, checked in the dev venv)."""

from __future__ import annotations

import hashlib
import json

import pytest

from stacks.common.paths import REPO_ROOT
from training.checkbox.parity_reference import JPEG_QUALITY, PARITY_SEEDS, PREDICT_ARGS, SAMPLE_SEED, parity_pages
from training.checkbox.synthetic_forms import CLASS_NAMES, encode_page, generate_page

MODEL_DIR = REPO_ROOT / "models" / "checkbox"
PARITY_DIR = REPO_ROOT / "fixtures" / "checkbox" / "parity"

pytestmark = pytest.mark.skipif(not (MODEL_DIR / "model.onnx").exists(), reason="no trained model committed")


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((MODEL_DIR / "training_metrics.json").read_text())


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((PARITY_DIR / "expected.json").read_text())


def test_model_identity_is_recorded(metrics: dict, expected: dict) -> None:
    model = MODEL_DIR / "model.onnx"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert model.stat().st_size <= 15 * 1024 * 1024
    assert metrics["sha256"] == expected["model_sha256"] == digest
    assert digest in (MODEL_DIR / "MODEL_CARD.md").read_text()
    assert metrics["classes"] == expected["class_names"] == list(CLASS_NAMES)


def test_held_out_metrics_are_good(metrics: dict) -> None:
    for name in CLASS_NAMES:
        assert metrics["test_metrics_onnx"][name]["mAP50"] > 0.9, name


def test_parity_seeds_were_never_trained_on(metrics: dict) -> None:
    data = metrics["data"]
    used = range(data["train_seeds"][0], data["test_seeds"][1] + 1)
    assert not set(PARITY_SEEDS) & set(used) and SAMPLE_SEED not in used


def test_parity_pages_are_the_generators(expected: dict) -> None:
    assert expected["predict_args"] == PREDICT_ARGS
    assert list(expected["pages"]) == [name for name, _, _ in parity_pages()]
    for name, seed, dpi in parity_pages():
        page_record = expected["pages"][name]
        jpeg = name.endswith(".jpg")
        page = generate_page(seed, dpi=dpi, noise=0.5 if jpeg else 0.0)
        assert (page_record["seed"], page_record["dpi"]) == (seed, dpi)
        assert [(b["class_id"], b["x1"], b["y1"], b["x2"], b["y2"]) for b in page_record["drawn_boxes"]] == [
            (b.class_id, b.x1, b.y1, b.x2, b.y2) for b in page.boxes
        ]
        data = encode_page(page, "JPEG" if jpeg else "PNG", quality=JPEG_QUALITY)
        assert (PARITY_DIR / name).read_bytes() == data, f"{name}: rerun python -m training.checkbox.parity_reference"
        for detection in page_record["detections"]:
            assert detection["class_name"] == CLASS_NAMES[detection["class_id"]]
            assert 0 <= detection["x1"] < detection["x2"] <= page.image.width
            assert 0 <= detection["y1"] < detection["y2"] <= page.image.height
            assert detection["confidence"] >= PREDICT_ARGS["conf"]


def test_parity_folder_stays_small() -> None:
    assert sum(p.stat().st_size for p in PARITY_DIR.iterdir()) < 8 * 1024 * 1024

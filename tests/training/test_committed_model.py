"""The committed model is what the committed data and the training command produce."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mask_predictor.predictor import METADATA_FILE_NAME, MODEL_FILE_NAME, MaskPredictor
from mask_predictor.scheme import LABELS
from tests.training.helpers import DATA_PATH, MODEL_DIR, run_python
from training.mask_predictor.dataset import load_labelled_names, split
from training.mask_predictor.evaluation import score

MIN_HELD_OUT_TOKEN_ACCURACY = 0.93


@pytest.fixture(scope="module")
def metadata() -> dict:
    return json.loads((MODEL_DIR / METADATA_FILE_NAME).read_text(encoding="utf-8"))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_model_directory_holds_exactly_the_model_and_its_metadata() -> None:
    assert sorted(p.name for p in MODEL_DIR.iterdir()) == [MODEL_FILE_NAME, METADATA_FILE_NAME]
    assert not list(MODEL_DIR.parent.rglob("*.pkl")) and not list(MODEL_DIR.parent.rglob("*.joblib"))


def test_metadata_hashes_match_the_committed_files(metadata: dict) -> None:
    assert metadata["sha256"] == sha256_of(MODEL_DIR / MODEL_FILE_NAME)
    assert metadata["training_data_sha256"] == sha256_of(DATA_PATH), (
        "masks.tsv changed since the model was trained: run `make train-mask` and commit the model"
    )


def test_metadata_describes_the_model(metadata: dict) -> None:
    assert metadata["model_name"] == "mask-crf"
    assert metadata["labels"] == list(LABELS)
    assert metadata["synthetic_names"] == 0
    held_out = metadata["held_out"]
    assert set(held_out["per_label"]) == set(LABELS)
    assert all(set(scores) >= {"precision", "recall", "f1"} for scores in held_out["per_label"].values())


def test_held_out_accuracy_of_the_shipped_predictor(metadata: dict) -> None:
    """Scored through MaskPredictor, i.e. exactly the code path the function serves."""
    held_out = split(load_labelled_names(DATA_PATH)).held_out
    predictor = MaskPredictor.from_directory(MODEL_DIR)

    predicted = [
        [next(iter(pair.values())) for pair in result["breakdown"]]
        for result in predictor.predict_many([item.name for item in held_out])
    ]
    scores = score([list(item.labels) for item in held_out], predicted)

    assert len(held_out) == metadata["held_out_names"]
    assert scores.token_accuracy >= MIN_HELD_OUT_TOKEN_ACCURACY
    assert round(scores.token_accuracy, 4) == metadata["held_out"]["token_accuracy"]
    assert round(scores.name_accuracy, 4) == metadata["held_out"]["name_accuracy"]


def test_retraining_with_committed_params_reproduces_the_model_byte_for_byte(tmp_path: Path) -> None:
    result = run_python("-m", "training.mask_predictor.train", "--no-search", "--output-dir", str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / MODEL_FILE_NAME).read_bytes() == (MODEL_DIR / MODEL_FILE_NAME).read_bytes()
    assert (tmp_path / METADATA_FILE_NAME).read_bytes() == (MODEL_DIR / METADATA_FILE_NAME).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [MODEL_FILE_NAME, METADATA_FILE_NAME], "no temp files left"

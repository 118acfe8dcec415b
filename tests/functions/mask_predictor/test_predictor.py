"""MaskPredictor: loading a verified model directory, and the shape of its answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mask_predictor.features import FEATURE_VERSION
from mask_predictor.predictor import METADATA_FILE_NAME, MODEL_FILE_NAME, MaskPredictor, ModelLoadError
from mask_predictor.scheme import LABELS, tokenize
from tests.support.mask_predictor import MODEL_DIR

NAMES = [
    "3M Aura 9205+ N95",
    "Moldex 2300 N95 with Exhalation Valve",
    "BNX H95 (Black, Medium)",
    "Cambridge Mask Co Pro N99 Mask The Churchill, Medium",
    "x",
    "ünïcödé ™ 名前 N95",
]


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL_DIR, target)
    return target


def edit_metadata(model_dir: Path, **changes: object) -> None:
    path = model_dir / METADATA_FILE_NAME
    metadata = json.loads(path.read_text())
    metadata.update(changes)
    path.write_text(json.dumps(metadata))


@pytest.mark.parametrize("name", NAMES)
def test_result_shape(predictor: MaskPredictor, name: str) -> None:
    result = predictor.predict(name)

    assert list(result) == ["mask_name", "tokens", "breakdown", "components", "confidence", "token_confidences"]
    assert result["mask_name"] == name
    assert result["tokens"] == tokenize(name)
    assert [next(iter(pair)) for pair in result["breakdown"]] == result["tokens"]
    assert list(result["components"]) == list(LABELS), "all nine components, always, in scheme order"
    labels = [next(iter(pair.values())) for pair in result["breakdown"]]
    for label in LABELS:
        assert result["components"][label] == [
            t for t, tag in zip(result["tokens"], labels, strict=False) if tag == label
        ]
    assert isinstance(result["confidence"], float) and 0.0 <= result["confidence"] <= 1.0
    assert result["confidence"] == round(result["confidence"], 4)
    assert len(result["token_confidences"]) == len(result["tokens"])


def test_confidence_is_the_mean_token_marginal(predictor: MaskPredictor) -> None:
    result = predictor.predict("Honeywell H910 Plus")
    mean = sum(result["token_confidences"]) / len(result["token_confidences"])

    assert result["confidence"] == pytest.approx(mean, abs=1e-4)


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("3M Aura 9205+ N95", "brand model model filter_type"),
        ("Zimi ZM9233 w/ Headstraps", "brand model misc strap"),
        ("Honeywell H910 Plus", "brand model model"),
        ("Moldex 2300 N95 with Exhalation Valve", "brand model filter_type misc valved valved"),
        ("Flo Mask Pro Small", "brand brand model size"),
        ("BNX H95 (Black, Medium)", "brand model color size"),
        (
            "3M 8511 N95 Cool Flow Valve Particulate Respirator",
            "brand model filter_type valved valved valved misc misc",
        ),
        ("Powecom KN95 Earloop Mask White", "brand filter_type strap misc color"),
    ],
)
def test_the_labelling_schemes_examples(predictor: MaskPredictor, name: str, labels: str) -> None:
    """shared/mask-labels.md's examples, as the committed model labels them."""
    result = predictor.predict(name)

    assert [next(iter(pair.values())) for pair in result["breakdown"]] == labels.split()


def test_predict_many_keeps_order_and_matches_predict(predictor: MaskPredictor) -> None:
    assert predictor.predict_many(NAMES) == [predictor.predict(name) for name in NAMES]
    assert predictor.predict_many([]) == []


def test_a_name_without_tokens_is_refused(predictor: MaskPredictor) -> None:
    with pytest.raises(ValueError, match="no tokens"):
        predictor.predict(" (,) ")


def test_identity(predictor: MaskPredictor) -> None:
    metadata = json.loads((MODEL_DIR / METADATA_FILE_NAME).read_text())

    assert predictor.identity == {
        "model_name": "mask-crf",
        "sha256": metadata["sha256"],
        "feature_version": FEATURE_VERSION,
        "c1": metadata["c1"],
        "c2": metadata["c2"],
        "held_out_token_accuracy": metadata["held_out"]["token_accuracy"],
    }
    predictor.identity["sha256"] = "changed"
    assert predictor.identity["sha256"] == metadata["sha256"], "callers get a copy"


def test_loads_from_any_directory(model_copy: Path) -> None:
    predictor = MaskPredictor.from_directory(model_copy)

    assert predictor.predict("3M 8210 N95")["components"]["brand"] == ["3M"]


def test_sha256_mismatch_is_refused(model_copy: Path) -> None:
    with (model_copy / MODEL_FILE_NAME).open("ab") as model_file:
        model_file.write(b"\0")

    with pytest.raises(ModelLoadError, match=r"sha256 mismatch.*different training runs or the model file is damaged"):
        MaskPredictor.from_directory(model_copy)


def test_metadata_of_another_model_is_refused(model_copy: Path) -> None:
    edit_metadata(model_copy, sha256="0" * 64)

    with pytest.raises(ModelLoadError, match="sha256 mismatch"):
        MaskPredictor.from_directory(model_copy)


def test_feature_version_mismatch_is_refused(model_copy: Path) -> None:
    edit_metadata(model_copy, feature_version=FEATURE_VERSION + 1)

    with pytest.raises(
        ModelLoadError,
        match=(
            f"feature_version mismatch.*trained with feature_version {FEATURE_VERSION + 1}"
            f".*computes feature_version {FEATURE_VERSION}"
        ),
    ):
        MaskPredictor.from_directory(model_copy)


def test_label_mismatch_is_refused(model_copy: Path) -> None:
    edit_metadata(model_copy, labels=list(reversed(LABELS)))

    with pytest.raises(ModelLoadError, match="label mismatch"):
        MaskPredictor.from_directory(model_copy)


@pytest.mark.parametrize("missing", [MODEL_FILE_NAME, METADATA_FILE_NAME])
def test_missing_file_is_named(model_copy: Path, missing: str) -> None:
    (model_copy / missing).unlink()

    with pytest.raises(ModelLoadError, match=f"{missing} not found"):
        MaskPredictor.from_directory(model_copy)


def test_incomplete_metadata_is_refused(model_copy: Path) -> None:
    (model_copy / METADATA_FILE_NAME).write_text(json.dumps({"model_name": "mask-crf"}))

    with pytest.raises(ModelLoadError, match="lacks sha256, feature_version"):
        MaskPredictor.from_directory(model_copy)


def test_invalid_metadata_json_is_refused(model_copy: Path) -> None:
    (model_copy / METADATA_FILE_NAME).write_text("{oops")

    with pytest.raises(ModelLoadError, match="not valid JSON"):
        MaskPredictor.from_directory(model_copy)


def test_garbage_model_with_matching_sha_is_refused(model_copy: Path) -> None:
    import hashlib

    garbage = b"not a crfsuite model at all, just bytes" * 4
    (model_copy / MODEL_FILE_NAME).write_bytes(garbage)
    edit_metadata(model_copy, sha256=hashlib.sha256(garbage).hexdigest())

    with pytest.raises(ModelLoadError, match="CRFsuite cannot read the model"):
        MaskPredictor.from_directory(model_copy)

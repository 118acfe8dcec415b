"""The real loading and inference code on the committed fixture model (tokenizers + onnxruntime)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambda_common.errors import ModelError
from sentiment.inference import ARTIFACT_FILES, MAX_PADDING_SHARE, SentimentModel, plan_batches, softmax
from tests.support.handlers import swapped
from training.sentiment.samples import validation_texts


def _mixed_texts() -> list[str]:
    """50 texts from one word to paragraphs past max_length, in no particular order."""
    texts = validation_texts(46, seed=7)
    texts[10:10] = ["", "ok", "I love this!", "This is terrible. " * 120]
    return texts


class RecordingSession:
    """Wraps an onnxruntime session and records the input shapes of every run."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.shapes: list[tuple[int, int]] = []
        self.feeds: list[dict[str, np.ndarray]] = []

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.shapes.append(feeds["input_ids"].shape)
        self.feeds.append(feeds)
        return self._session.run(outputs, feeds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@pytest.fixture
def recording(model: SentimentModel, monkeypatch: pytest.MonkeyPatch) -> RecordingSession:
    return swapped(monkeypatch, model, "_session", RecordingSession)


def test_identity_comes_from_model_json_and_labels_json(model: SentimentModel, fixture_model_dir: Path) -> None:
    metadata = json.loads((fixture_model_dir / "model.json").read_text())
    labels = json.loads((fixture_model_dir / "labels.json").read_text())
    assert model.identity.as_dict() == {
        "model_id": "fixture/tiny-distilbert-sentiment",
        "quantization": "int8",
        "sha256": hashlib.sha256((fixture_model_dir / "model.onnx").read_bytes()).hexdigest(),
        "max_length": metadata["max_length"],
        "labels": [labels["0"], labels["1"]],
    }
    assert model.identity.labels == ("negative", "positive")


def test_session_uses_the_threads_it_is_given(fixture_model_dir: Path) -> None:
    assert SentimentModel.load(fixture_model_dir, intra_op_threads=2, batch_size=8).intra_op_threads == 2


def test_clear_texts_come_out_plausibly(model: SentimentModel) -> None:
    predictions = model.predict(
        [
            "I love this!",
            "This is terrible.",
            "Great quality and fast delivery.",
            "Rude staff and terrible service, never again.",
        ]
    )
    assert [p.sentiment for p in predictions] == ["positive", "negative", "positive", "negative"]
    assert all(0.5 < p.score <= 1.0 for p in predictions)


def test_scores_are_the_probability_of_the_predicted_label(model: SentimentModel) -> None:
    texts = _mixed_texts()
    probabilities = model.probabilities(texts)
    assert probabilities.shape == (len(texts), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    for prediction, row in zip(model.predict(texts), probabilities, strict=True):
        assert prediction.score == pytest.approx(row.max(), abs=1e-12)
        assert prediction.sentiment == model.identity.labels[int(row.argmax())]
        assert isinstance(prediction.score, float)


def test_batched_results_equal_one_by_one_results_in_the_callers_order(fp32_model: SentimentModel) -> None:
    texts = _mixed_texts()
    batched = fp32_model.probabilities(texts)
    one_by_one = np.concatenate([fp32_model.probabilities([text]) for text in texts])
    np.testing.assert_allclose(batched, one_by_one, rtol=0, atol=1e-5)
    assert [p.sentiment for p in fp32_model.predict(texts)] == [fp32_model.predict([t])[0].sentiment for t in texts]


@pytest.mark.parametrize("batch_size", [1, 3, 16, 64])
def test_results_do_not_depend_on_the_batch_size(
    fixture_fp32_model_dir: Path, fp32_model: SentimentModel, batch_size: int
) -> None:
    texts = _mixed_texts()
    other = SentimentModel.load(fixture_fp32_model_dir, intra_op_threads=1, batch_size=batch_size)
    np.testing.assert_allclose(other.probabilities(texts), fp32_model.probabilities(texts), rtol=0, atol=1e-5)


def test_int8_results_move_only_slightly_with_batch_mates(model: SentimentModel) -> None:
    """Dynamic int8 quantization computes one activation scale per batch tensor, so an int8
    score depends on the other texts (and padding) of its batch: most scores move by ~1e-7,
    a few near the decision boundary by a few hundredths on this tiny model, and a label right
    at the boundary may flip (the export's int8 bar: the same label on >= 99%). Batch-exact
    scores need QUANTIZE=false (fp32: see the tests above) or BATCH_SIZE=1."""
    texts = validation_texts(300)
    batched = model.probabilities(texts)
    one_by_one = np.concatenate([model.probabilities([text]) for text in texts])
    assert np.mean(batched.argmax(axis=1) == one_by_one.argmax(axis=1)) >= 0.99
    moved = np.abs(batched - one_by_one)[:, 0]
    assert np.median(moved) < 1e-4 and moved.max() < 0.15


def test_int8_and_fp32_fixtures_agree_on_labels(model: SentimentModel, fp32_model: SentimentModel) -> None:
    texts = validation_texts(300)
    assert model.identity.sha256 != fp32_model.identity.sha256
    assert (model.identity.quantization, fp32_model.identity.quantization) == ("int8", "none")
    agreement = np.mean(model.probabilities(texts).argmax(axis=1) == fp32_model.probabilities(texts).argmax(axis=1))
    assert agreement >= 0.99


def test_batches_group_texts_by_length_and_pad_only_to_their_longest(
    model: SentimentModel, recording: RecordingSession
) -> None:
    texts = _mixed_texts()
    lengths = model.token_counts(texts)
    model.probabilities(texts)

    seen: list[int] = []
    previous_longest = 0
    for feeds in recording.feeds:
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        assert ids.dtype == mask.dtype == np.int64
        row_lengths = mask.sum(axis=1)
        assert len(row_lengths) <= model.batch_size
        assert ids.shape[1] == row_lengths.max()  # padded to its own longest text only
        assert row_lengths.min() >= previous_longest  # batches follow token count
        assert mask.size <= (1 + MAX_PADDING_SHARE) * row_lengths.sum()
        # Right padding with the pad token, mask 1 exactly on the real tokens.
        assert np.all(ids[mask == 0] == 0)
        assert np.all(np.diff(mask, axis=1) <= 0)
        previous_longest = int(row_lengths.max())
        seen.extend(row_lengths.tolist())
    assert sorted(seen) == sorted(lengths)
    padded = sum(rows * width for rows, width in recording.shapes)
    assert padded < 0.5 * len(texts) * max(lengths)  # what padding everything to the longest would cost


@pytest.mark.parametrize(
    ("lengths", "batch_size", "sizes"),
    [
        ([], 16, []),
        ([7], 16, [1]),
        ([5] * 20, 16, [16, 4]),
        ([5, 5, 5, 6], 16, [4]),  # 24 cells for 21 tokens: within 25%
        ([5, 5, 5, 100], 16, [3, 1]),  # one paragraph does not pad three short reviews
        ([10, 12, 14, 40, 41, 512, 512], 4, [3, 2, 2]),
        ([3, 4, 5, 6, 7, 8, 9, 10], 3, [3, 3, 2]),
    ],
)
def test_plan_batches(lengths: list[int], batch_size: int, sizes: list[int]) -> None:
    batches = plan_batches(np.array(lengths, dtype=np.int64), batch_size=batch_size)
    assert [b.stop - b.start for b in batches] == sizes
    assert [b.start for b in batches] == [sum(sizes[:i]) for i in range(len(sizes))]


def test_an_over_long_text_is_truncated_at_max_length(model: SentimentModel, recording: RecordingSession) -> None:
    max_length = model.identity.max_length
    base = "The delivery was fine and the box was intact. " * 80  # far more than max_length tokens
    assert model.token_counts([base]) == [max_length]
    good, bad = base + "Wonderful, I love it! " * 20, base + "Terrible, I hate it! " * 20
    first, second = model.probabilities([good, bad])
    np.testing.assert_array_equal(first, second)  # everything that differs is past the cut
    assert max(width for _, width in recording.shapes) == max_length


def test_an_empty_list_runs_nothing(model: SentimentModel, recording: RecordingSession) -> None:
    assert model.predict([]) == []
    assert model.probabilities([]).shape == (0, 2)
    assert recording.shapes == []


def test_softmax_is_exact_and_stable() -> None:
    logits = np.array([[0.0, 0.0], [1000.0, -1000.0], [2.0, 1.0], [-3.0, 4.0]], dtype=np.float32)
    result = softmax(logits)
    expected = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(result, expected, rtol=1e-15)
    assert result.dtype == np.float64 and np.isfinite(result).all()


# --- refusing a bad model directory -------------------------------------------------------------


@pytest.fixture
def model_copy(fixture_model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(fixture_model_dir, copy)
    return copy


def _edit_json(path: Path, **changes: Any) -> None:
    content = json.loads(path.read_text())
    content.update(changes)
    path.write_text(json.dumps(content))


def test_a_model_whose_checksum_does_not_match_is_refused(model_copy: Path) -> None:
    data = bytearray((model_copy / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (model_copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(
        ModelError, match=r"model.onnx has sha256 [0-9a-f]{64} but model.json records [0-9a-f]{64}.*refusing"
    ):
        SentimentModel.load(model_copy, intra_op_threads=1, batch_size=4)


def test_model_json_recording_another_checksum_is_refused(model_copy: Path) -> None:
    _edit_json(model_copy / "model.json", sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        SentimentModel.load(model_copy, intra_op_threads=1, batch_size=4)


@pytest.mark.parametrize("missing", ARTIFACT_FILES)
def test_a_missing_artifact_is_named(model_copy: Path, missing: str) -> None:
    (model_copy / missing).unlink()
    with pytest.raises(ModelError, match=f"lacks {missing}"):
        SentimentModel.load(model_copy, intra_op_threads=1, batch_size=4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": 2}, "format_version 2"),
        ({"quantization": "int4"}, "quantization must be one of"),
        ({"max_length": "512"}, "max_length must be an integer"),
        ({"model_id": ""}, "model_id must be a non-empty string"),
        ({"sha256": "abc"}, "sha256 must be the 64 hex digits"),
    ],
)
def test_malformed_model_json_is_refused(model_copy: Path, changes: dict[str, Any], message: str) -> None:
    _edit_json(model_copy / "model.json", **changes)
    with pytest.raises(ModelError, match=message):
        SentimentModel.load(model_copy, intra_op_threads=1, batch_size=4)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"0": "negative", "1": "positive", "2": "neutral"}, "outputs 2 logits per text but labels.json names 3"),
        ({"0": "negative", "2": "positive"}, "keys must be the class indices"),
        (["negative", "positive"], "must map class indices to labels"),
    ],
)
def test_labels_that_do_not_fit_the_model_are_refused(model_copy: Path, labels: Any, message: str) -> None:
    (model_copy / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(ModelError, match=message):
        SentimentModel.load(model_copy, intra_op_threads=1, batch_size=4)

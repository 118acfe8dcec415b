"""The CRF predictor: a verified model directory in, labelled names out.

The model directory (MODEL_DIR; a layer mounted under /opt in Lambda) holds the CRFsuite file
and model.json, written together by `python -m training.mask_predictor.train`. Loading checks
that the two belong together (sha256) and that the model was trained on the features this
code computes (feature_version), so a half-updated layer or a stale model fails at cold start
with a message instead of answering with wrong labels.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence

import pycrfsuite

from mask_predictor.features import FEATURE_VERSION, name_features
from mask_predictor.scheme import LABELS

TYPE_CHECKING = False  # annotations only; see handler.py
if TYPE_CHECKING:
    from typing import Any

MODEL_FILE_NAME = "mask_crf.crfsuite"
METADATA_FILE_NAME = "model.json"
_REQUIRED_METADATA = ("model_name", "sha256", "feature_version", "labels", "c1", "c2", "held_out")


class ModelLoadError(RuntimeError):
    """The model directory is missing, incomplete, inconsistent or made for other code."""


class MaskPredictor:
    """Labels the tokens of mask names with one CRFsuite tagger, reused for every name."""

    def __init__(self, *, model_bytes: bytes, metadata: Mapping[str, Any]) -> None:
        """Use `from_directory`; this constructor trusts that bytes and metadata match."""
        # Loaded from these very bytes (the ones whose sha256 was checked, no second read).
        # CRFsuite's in-memory loader may keep pointing into the buffer instead of copying
        # it, so the predictor holds the bytes for as long as the tagger lives.
        self._model_bytes = model_bytes
        self._tagger = pycrfsuite.Tagger()
        try:
            self._tagger.open_inmemory(model_bytes)
        except ValueError as error:
            raise ModelLoadError(f"CRFsuite cannot read the model: {error}") from None
        self._identity: dict[str, Any] = {
            "model_name": metadata["model_name"],
            "sha256": metadata["sha256"],
            "feature_version": metadata["feature_version"],
            "c1": metadata["c1"],
            "c2": metadata["c2"],
            "held_out_token_accuracy": metadata["held_out"].get("token_accuracy"),
        }

    @classmethod
    def from_directory(cls, model_dir: str | os.PathLike[str]) -> MaskPredictor:
        """Load and verify `mask_crf.crfsuite` + `model.json` from `model_dir`."""
        # os.path rather than pathlib: pathlib's imports cost ~3.5 ms of cold start.
        model_path = os.path.join(model_dir, MODEL_FILE_NAME)
        metadata_path = os.path.join(model_dir, METADATA_FILE_NAME)
        try:
            with open(metadata_path, encoding="utf-8") as metadata_file:
                metadata = json.load(metadata_file)
            with open(model_path, "rb") as model_file:
                model_bytes = model_file.read()
        except FileNotFoundError as error:
            raise ModelLoadError(
                f"{error.filename} not found: the model directory must hold {MODEL_FILE_NAME} and"
                f" {METADATA_FILE_NAME} (train with `make train-mask`)"
            ) from None
        except ValueError as error:
            raise ModelLoadError(f"{metadata_path} is not valid JSON: {error}") from None
        if not isinstance(metadata, dict):
            raise ModelLoadError(f"{metadata_path} must hold a JSON object")
        missing = [key for key in _REQUIRED_METADATA if key not in metadata]
        if missing:
            raise ModelLoadError(f"{metadata_path} lacks {', '.join(missing)}")
        if not isinstance(metadata["held_out"], dict) or not isinstance(metadata["labels"], list):
            raise ModelLoadError(f"{metadata_path}: held_out must be an object and labels a list")

        actual_sha256 = hashlib.sha256(model_bytes).hexdigest()
        if actual_sha256 != metadata["sha256"]:
            raise ModelLoadError(
                f"sha256 mismatch: {model_path} has sha256 {actual_sha256} but {metadata_path}"
                f" says {metadata['sha256']}. The two files come from different training runs or"
                " the model file is damaged; retrain (`make train-mask`) or redeploy the model layer."
            )
        if metadata["feature_version"] != FEATURE_VERSION:
            raise ModelLoadError(
                f"feature_version mismatch: the model was trained with feature_version"
                f" {metadata['feature_version']} but this code computes feature_version"
                f" {FEATURE_VERSION}; retrain the model with this code (`make train-mask`)."
            )
        if metadata["labels"] != list(LABELS):
            raise ModelLoadError(
                f"label mismatch: the model's labels {metadata['labels']} differ from the"
                f" scheme's {list(LABELS)}; retrain the model with this code."
            )
        return cls(model_bytes=model_bytes, metadata=metadata)

    @property
    def identity(self) -> dict[str, Any]:
        """What a health check reports, so callers can tell which model answered."""
        return dict(self._identity)

    def predict(self, name: str) -> dict[str, Any]:
        """`{"mask_name", "tokens", "breakdown", "components", "confidence", "token_confidences"}`.

        Raises ValueError for a name without tokens: callers validate names first.
        """
        tokens, sequence = name_features(name)
        if not tokens:
            raise ValueError(f"mask name {name!r} has no tokens")
        tagger = self._tagger
        labels = tagger.tag(sequence)
        # Probability of the chosen label at each position, given the whole name.
        marginals = [tagger.marginal(label, position) for position, label in enumerate(labels)]
        components: dict[str, list[str]] = {label: [] for label in LABELS}
        for token, label in zip(tokens, labels, strict=True):
            components[label].append(token)
        # Clamped: forward-backward sums can overshoot 1.0 by a rounding error.
        confidence = min(1.0, max(0.0, sum(marginals) / len(marginals)))
        return {
            "mask_name": name,
            "tokens": tokens,
            "breakdown": [{token: label} for token, label in zip(tokens, labels, strict=True)],
            "components": components,
            "confidence": round(confidence, 4),
            "token_confidences": [round(min(1.0, max(0.0, value)), 4) for value in marginals],
        }

    def predict_many(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """One result per name, in the order given."""
        predict = self.predict
        return [predict(name) for name in names]

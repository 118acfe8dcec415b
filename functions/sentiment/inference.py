"""Sentiment inference: tokenizers + onnxruntime over the exported model directory.

The model directory (written by training/sentiment/export_onnx.py, the Docker build stage or
the fixture script) holds:

    model.onnx      inputs input_ids + attention_mask (int64, batch x sequence), output logits
    tokenizer.json  a `tokenizers` tokenizer
    labels.json     {"0": "negative", "1": "positive"}: class index -> label
    model.json      {"format_version": 1, "model_id", "quantization", "sha256" of model.onnx,
                     "max_length", "pad_token_id", "export": {...}}

Loading verifies model.onnx against model.json's sha256 (the bytes hashed are the bytes the
session is built from) and the session's inputs and outputs against the layout.

Prediction is length-aware: all texts are tokenized in one call (truncated at max_length),
sorted by token count, and run in batches padded only to the longest sequence of their batch
(dynamic padding). A batch holds at most `batch_size` texts, and is closed early when the next
text would make padding more than MAX_PADDING_SHARE of the batch's real tokens: a batch of
short reviews never pays for a long paragraph, and the long tail of a mix runs in small
batches of similar lengths. Probabilities are a numpy softmax of the logits, written back in
the caller's order.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from lambda_common.errors import ModelError
from lambda_common.onnx_sessions import session_options
from sentiment.model_layout import (
    ARTIFACT_FILES,
    FORMAT_VERSION,
    INPUT_NAMES,
    LABELS_FILE,
    METADATA_FILE,
    MODEL_FILE,
    OUTPUT_NAME,
    QUANTIZATIONS,
    TOKENIZER_FILE,
)

# Padding a batch may add, as a share of its real tokens, before the next text starts a new batch.
MAX_PADDING_SHARE = 0.25


@dataclass(frozen=True)
class ModelIdentity:
    """What a health check reports: which model, how it was exported, and its checksum."""

    model_id: str
    quantization: str
    sha256: str
    max_length: int
    labels: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "labels": list(self.labels)}  # a JSON array, as the exporter wrote it


@dataclass(frozen=True)
class Prediction:
    sentiment: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"sentiment": self.sentiment, "score": self.score}


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64, shifted by the row maximum so exp never overflows."""
    shifted = logits.astype(np.float64) - np.max(logits, axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def plan_batches(sorted_lengths: np.ndarray, *, batch_size: int, max_padding: float = MAX_PADDING_SHARE) -> list[slice]:
    """Consecutive batches over token lengths sorted ascending: at most `batch_size` rows each,
    and padded cells (rows x the batch's longest) at most (1 + max_padding) x its real tokens."""
    batches: list[slice] = []
    start = tokens = 0
    for index, length in enumerate(sorted_lengths.tolist()):
        rows = index - start
        if rows and (rows == batch_size or (rows + 1) * length > (tokens + length) * (1 + max_padding)):
            batches.append(slice(start, index))
            start, tokens = index, 0
        tokens += length
    if len(sorted_lengths):
        batches.append(slice(start, len(sorted_lengths)))
    return batches


class SentimentModel:
    """A loaded model: create once per execution environment, call `predict` per request."""

    def __init__(
        self,
        *,
        tokenizer: Tokenizer,
        session: onnxruntime.InferenceSession,
        identity: ModelIdentity,
        pad_token_id: int,
        batch_size: int,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._tokenizer = tokenizer
        self._session = session
        self._pad_token_id = pad_token_id
        self._labels = np.array(identity.labels, dtype=object)
        self.identity = identity
        self.batch_size = batch_size

    @classmethod
    def load(cls, model_dir: Path, *, intra_op_threads: int, batch_size: int) -> SentimentModel:
        """Load and verify a model directory; ModelError says what is wrong with it."""
        model_dir = Path(model_dir)
        missing = [name for name in ARTIFACT_FILES if not (model_dir / name).is_file()]
        if missing:
            raise ModelError(f"{model_dir} lacks {', '.join(missing)}: not an exported sentiment model directory")
        metadata = _read_json(model_dir / METADATA_FILE)
        labels = _labels(_read_json(model_dir / LABELS_FILE))
        identity, pad_token_id = _identity(metadata, labels)

        model_bytes = (model_dir / MODEL_FILE).read_bytes()
        # hashlib and onnxruntime both release the GIL: hashing beside session creation takes
        # the checksum (~40 ms for 68 MB) off the cold start without skipping it.
        checksum = _Sha256InBackground(model_bytes)
        try:
            tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        except Exception as error:  # tokenizers raises plain Exception on a malformed file
            raise ModelError(f"cannot read {TOKENIZER_FILE}: {error}") from error
        tokenizer.no_padding()
        tokenizer.enable_truncation(identity.max_length)
        session = _session(model_bytes, intra_op_threads=intra_op_threads, label_count=len(labels))
        digest = checksum.hexdigest()
        if digest != identity.sha256:
            raise ModelError(
                f"{MODEL_FILE} has sha256 {digest} but {METADATA_FILE} records {identity.sha256}:"
                " the model directory is corrupt or mixes files from two exports; refusing to load it"
            )
        return cls(
            tokenizer=tokenizer,
            session=session,
            identity=identity,
            pad_token_id=pad_token_id,
            batch_size=batch_size,
        )

    @property
    def intra_op_threads(self) -> int:
        return int(self._session.get_session_options().intra_op_num_threads)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text as the model sees them (special tokens included, after truncation)."""
        return [len(encoding.ids) for encoding in self._tokenizer.encode_batch(list(texts))]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (len(texts), labels), rows in the order of `texts`."""
        count = len(texts)
        probabilities = np.empty((count, len(self.identity.labels)), dtype=np.float64)
        if count == 0:
            return probabilities
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(encoding.ids) for encoding in encodings), dtype=np.int64, count=count)
        order = np.argsort(lengths, kind="stable")
        for batch in plan_batches(lengths[order], batch_size=self.batch_size):
            rows = order[batch]
            input_ids, attention_mask = self._pad([encodings[row].ids for row in rows], lengths[rows])
            (logits,) = self._session.run([OUTPUT_NAME], {"input_ids": input_ids, "attention_mask": attention_mask})
            probabilities[rows] = softmax(logits)
        return probabilities

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The most probable label of each text and its probability, in the order of `texts`."""
        probabilities = self.probabilities(texts)
        best = np.argmax(probabilities, axis=1)
        scores = probabilities[np.arange(len(best)), best]
        return [
            Prediction(sentiment, score)
            for sentiment, score in zip(self._labels[best].tolist(), scores.tolist(), strict=True)
        ]

    def _pad(self, ids: list[list[int]], lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Right-pad to the longest of these sequences: ids with pad_token_id, mask 1 on tokens."""
        mask = np.arange(int(lengths.max()))[np.newaxis, :] < lengths[:, np.newaxis]
        input_ids = np.full(mask.shape, self._pad_token_id, dtype=np.int64)
        # Boolean assignment fills row by row, left to right: the order of the chained ids.
        input_ids[mask] = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        return input_ids, mask.astype(np.int64)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read {path.name}: {error}") from error


def _labels(content: Any) -> tuple[str, ...]:
    if not isinstance(content, dict) or len(content) < 2:
        raise ModelError(f'{LABELS_FILE} must map class indices to labels, e.g. {{"0": "negative", "1": "positive"}}')
    expected = [str(index) for index in range(len(content))]
    if sorted(content, key=lambda key: (len(key), key)) != expected:
        raise ModelError(f"{LABELS_FILE} keys must be the class indices 0..{len(content) - 1}, got {sorted(content)}")
    labels = tuple(content[key] for key in expected)
    if not all(isinstance(label, str) and label for label in labels):
        raise ModelError(f"{LABELS_FILE} labels must be non-empty strings, got {list(labels)}")
    return labels


def _identity(metadata: Any, labels: tuple[str, ...]) -> tuple[ModelIdentity, int]:
    if not isinstance(metadata, dict):
        raise ModelError(f"{METADATA_FILE} must be a JSON object")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{METADATA_FILE} has format_version {metadata.get('format_version')!r}; this function"
            f" reads version {FORMAT_VERSION}: re-export the model with training/sentiment/export_onnx.py"
        )
    problems = []
    # Any JSON value until checked below (a bad one is a problem, and no identity is made).
    model_id: Any = metadata.get("model_id")
    if not isinstance(model_id, str) or not model_id:
        problems.append("model_id must be a non-empty string")
    quantization: Any = metadata.get("quantization")
    if quantization not in QUANTIZATIONS:
        problems.append(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    sha256: Any = metadata.get("sha256")
    if not isinstance(sha256, str) or len(sha256) != 64:
        problems.append("sha256 must be the 64 hex digits of model.onnx's SHA-256")
    max_length: Any = metadata.get("max_length")
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 2:
        problems.append(f"max_length must be an integer >= 2, got {max_length!r}")
    pad_token_id = metadata.get("pad_token_id", 0)
    if not isinstance(pad_token_id, int) or isinstance(pad_token_id, bool) or pad_token_id < 0:
        problems.append(f"pad_token_id must be a non-negative integer, got {pad_token_id!r}")
    if problems:
        raise ModelError(f"{METADATA_FILE}: " + "; ".join(problems))
    identity = ModelIdentity(
        model_id=model_id, quantization=quantization, sha256=sha256.lower(), max_length=max_length, labels=labels
    )
    return identity, pad_token_id


class _Sha256InBackground:
    def __init__(self, data: bytes) -> None:
        self._digest = ""
        self._thread = threading.Thread(target=self._run, args=(data,), name="model-sha256")
        self._thread.start()

    def _run(self, data: bytes) -> None:
        self._digest = hashlib.sha256(data).hexdigest()

    def hexdigest(self) -> str:
        self._thread.join()
        return self._digest


def _session(model_bytes: bytes, *, intra_op_threads: int, label_count: int) -> onnxruntime.InferenceSession:
    options = session_options(intra_op_threads=intra_op_threads)
    try:
        session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for bad models
        raise ModelError(f"onnxruntime cannot load {MODEL_FILE}: {error}") from error
    inputs = tuple(node.name for node in session.get_inputs())
    outputs = session.get_outputs()
    if inputs != INPUT_NAMES or [node.name for node in outputs] != [OUTPUT_NAME]:
        raise ModelError(
            f"{MODEL_FILE} has inputs {inputs} and outputs {[node.name for node in outputs]};"
            f" expected {INPUT_NAMES} and [{OUTPUT_NAME!r}]"
        )
    classes = outputs[0].shape[-1] if outputs[0].shape else None
    if isinstance(classes, int) and classes != label_count:
        raise ModelError(f"{MODEL_FILE} outputs {classes} logits per text but {LABELS_FILE} names {label_count} labels")
    return session

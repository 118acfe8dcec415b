"""Scores of predicted label sequences against the truth: token, whole-name and per-label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import precision_recall_fscore_support
from sklearn_crfsuite.metrics import flat_classification_report

from mask_predictor.scheme import LABELS

_DIGITS = 4


@dataclass(frozen=True, kw_only=True)
class Scores:
    token_accuracy: float
    name_accuracy: float
    tokens: int
    names: int
    per_label: dict[str, dict[str, float | int]]

    def as_metadata(self) -> dict[str, Any]:
        return {
            "token_accuracy": round(self.token_accuracy, _DIGITS),
            "name_accuracy": round(self.name_accuracy, _DIGITS),
            "tokens": self.tokens,
            "names": self.names,
            "per_label": self.per_label,
        }


def score(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> Scores:
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true sequences but {len(predicted)} predicted")
    flat_truth = [label for sequence in truth for label in sequence]
    flat_predicted = [label for sequence in predicted for label in sequence]
    if len(flat_truth) != len(flat_predicted):
        raise ValueError("predicted sequences differ in length from the true ones")
    correct_tokens = sum(t == p for t, p in zip(flat_truth, flat_predicted, strict=False))
    correct_names = sum(list(t) == list(p) for t, p in zip(truth, predicted, strict=False))
    precision, recall, f1, support = precision_recall_fscore_support(
        flat_truth, flat_predicted, labels=list(LABELS), zero_division=0
    )
    per_label = {
        label: {
            "precision": round(float(precision[index]), _DIGITS),
            "recall": round(float(recall[index]), _DIGITS),
            "f1": round(float(f1[index]), _DIGITS),
            "support": int(support[index]),
        }
        for index, label in enumerate(LABELS)
    }
    return Scores(
        token_accuracy=correct_tokens / len(flat_truth) if flat_truth else 0.0,
        name_accuracy=correct_names / len(truth) if truth else 0.0,
        tokens=len(flat_truth),
        names=len(truth),
        per_label=per_label,
    )


def report(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> str:
    """Per-label precision/recall/F1 table, as scikit-learn prints it."""
    return str(
        flat_classification_report(
            [list(t) for t in truth],
            [list(p) for p in predicted],
            labels=list(LABELS),
            digits=3,
            zero_division=0,
        )
    )

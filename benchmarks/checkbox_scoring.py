"""How the checkbox benchmark scores detections (pure Python, no numpy needed).

A detection is (class_id, confidence, x1, y1, x2, y2) in page pixels; a drawn box is
(class_id, x1, y1, x2, y2).

- Agreement of two detectors on one page (`match_pages`): one-to-one greedy matching. The first
  detector's detections are taken by descending confidence; each is paired with the not yet
  paired detection of the second detector of the same class with the highest IoU, if that IoU
  is >= MATCH_IOU (0.95). The match rate of a set of pages is
      sum over pages of matched / sum over pages of max(len(first), len(second))
  (1.0 when neither detects anything on any page): a detection only one side makes, a class
  that differs or a box that moved lowers it.
- Quality against the drawn boxes (`score_against_truth`): the same greedy one-to-one matching
  with IoU >= TRUTH_IOU (0.5) and the same class; precision = true positives / detections,
  recall = true positives / drawn boxes, summed over the pages of a cell before dividing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MATCH_IOU = 0.95
TRUTH_IOU = 0.5

Detection = Sequence[float]  # class_id, confidence, x1, y1, x2, y2
Drawn = Sequence[float]  # class_id, x1, y1, x2, y2


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two xyxy boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union if union > 0 else 0.0


def _greedy(
    first: list[tuple[int, float, Sequence[float]]], second: list[tuple[int, Sequence[float]]], threshold: float
) -> list[tuple[int, int, float]]:
    """(index in first, index in second, IoU) pairs; first in its given order (best first)."""
    taken: set[int] = set()
    pairs = []
    for i, (class_id, _, box) in enumerate(first):
        best, best_iou = -1, threshold
        for j, (other_class, other_box) in enumerate(second):
            if j in taken or other_class != class_id:
                continue
            overlap = iou(box, other_box)
            if overlap >= best_iou:
                best, best_iou = j, overlap
        if best >= 0:
            taken.add(best)
            pairs.append((i, best, best_iou))
    return pairs


def _by_confidence(detections: Sequence[Detection]) -> list[tuple[int, float, Sequence[float]]]:
    found = [(int(d[0]), float(d[1]), tuple(d[2:6])) for d in detections]
    return sorted(found, key=lambda d: -d[1])


@dataclass(frozen=True)
class PageMatch:
    matched: int
    first: int
    second: int
    max_confidence_difference: float  # over matched pairs (0 when none)
    min_iou: float  # over matched pairs (1 when none)


def match_pages(first: Sequence[Detection], second: Sequence[Detection]) -> PageMatch:
    a, b = _by_confidence(first), _by_confidence(second)
    pairs = _greedy(a, [(class_id, box) for class_id, _, box in b], MATCH_IOU)
    return PageMatch(
        matched=len(pairs),
        first=len(a),
        second=len(b),
        max_confidence_difference=max((abs(a[i][1] - b[j][1]) for i, j, _ in pairs), default=0.0),
        min_iou=min((overlap for _, _, overlap in pairs), default=1.0),
    )


def match_rate(pages: Sequence[PageMatch]) -> float:
    total = sum(max(page.first, page.second) for page in pages)
    return sum(page.matched for page in pages) / total if total else 1.0


@dataclass(frozen=True)
class TruthScore:
    true_positives: int
    detections: int
    drawn: int

    @property
    def precision(self) -> float | None:
        """None when nothing was detected (undefined)."""
        return self.true_positives / self.detections if self.detections else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.drawn if self.drawn else None

    def __add__(self, other: TruthScore) -> TruthScore:
        return TruthScore(
            self.true_positives + other.true_positives, self.detections + other.detections, self.drawn + other.drawn
        )


def score_against_truth(detections: Sequence[Detection], drawn: Sequence[Drawn]) -> TruthScore:
    found = _by_confidence(detections)
    truth = [(int(box[0]), tuple(box[1:5])) for box in drawn]
    pairs = _greedy(found, truth, TRUTH_IOU)
    return TruthScore(true_positives=len(pairs), detections=len(found), drawn=len(truth))


def total(scores: Sequence[TruthScore]) -> TruthScore:
    result = TruthScore(0, 0, 0)
    for score in scores:
        result = result + score
    return result

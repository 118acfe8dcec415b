"""Cross-validated grid search over the CRF's regularisation (c1: L1, c2: L2).

Folds are fixed (a stable hash of each name, `dataset.fold_of`) and only the training split is
used, so the held-out names never influence the choice. Each (c1, c2) is scored on the
out-of-fold predictions of all folds pooled together.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import product
from typing import TextIO

from training.mask_predictor import crf
from training.mask_predictor.dataset import LabelledName, fold_of
from training.mask_predictor.evaluation import score

C1_GRID = (0.0, 0.05, 0.1, 0.2, 0.5)
C2_GRID = (0.001, 0.01, 0.05, 0.1)
DEFAULT_FOLDS = 5


@dataclass(frozen=True, kw_only=True)
class GridPoint:
    c1: float
    c2: float
    token_accuracy: float
    name_accuracy: float
    seconds: float


# Set once per worker process (initializer), so the feature lists are pickled once per worker
# instead of once per task.
_WORKER_DATA: tuple[crf.Sequences, crf.LabelSequences, list[int]] | None = None


def _init_worker(sequences: crf.Sequences, labels: crf.LabelSequences, folds: list[int]) -> None:
    global _WORKER_DATA
    _WORKER_DATA = (sequences, labels, folds)


def _cross_validate(c1: float, c2: float, fold_count: int) -> GridPoint:
    assert _WORKER_DATA is not None, "_init_worker was not called"
    sequences, labels, folds = _WORKER_DATA
    started = time.perf_counter()
    predicted: list[list[str] | None] = [None] * len(sequences)
    for fold in range(fold_count):
        train_idx = [i for i, f in enumerate(folds) if f != fold]
        test_idx = [i for i, f in enumerate(folds) if f == fold]
        model = crf.fit([sequences[i] for i in train_idx], [labels[i] for i in train_idx], c1=c1, c2=c2)
        for i, prediction in zip(test_idx, crf.predict(model, [sequences[i] for i in test_idx]), strict=False):
            predicted[i] = prediction
    scores = score(labels, [p or [] for p in predicted])
    return GridPoint(
        c1=c1,
        c2=c2,
        token_accuracy=scores.token_accuracy,
        name_accuracy=scores.name_accuracy,
        seconds=time.perf_counter() - started,
    )


def grid_search(
    train: Sequence[LabelledName],
    *,
    fold_count: int = DEFAULT_FOLDS,
    jobs: int = 1,
    progress: TextIO = sys.stderr,
) -> tuple[GridPoint, list[GridPoint]]:
    """The best grid point (highest pooled token accuracy, then name accuracy, then grid
    order) and every point in grid order."""
    if fold_count < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {fold_count}")
    sequences = crf.featurize([item.name for item in train])
    labels = [list(item.labels) for item in train]
    folds = [fold_of(item.name, folds=fold_count) for item in train]
    empty = sorted(set(range(fold_count)) - set(folds))
    if empty:
        raise ValueError(f"fold(s) {empty} got no names; use fewer folds for {len(train)} names")

    grid = list(product(C1_GRID, C2_GRID))
    print(
        f"grid search: {len(grid)} (c1, c2) pairs x {fold_count} folds on {len(train)} names, {jobs} process(es)",
        file=progress,
        flush=True,
    )
    points: list[GridPoint] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(sequences, labels, folds)) as pool:
        futures = [pool.submit(_cross_validate, c1, c2, fold_count) for c1, c2 in grid]
        for done, future in enumerate(futures, start=1):
            point = future.result()
            points.append(point)
            print(
                f"  [{done:2d}/{len(grid)}] c1={point.c1:<5g} c2={point.c2:<6g}"
                f" token acc {point.token_accuracy:.4f}  name acc {point.name_accuracy:.4f}"
                f"  ({point.seconds:.1f} s)",
                file=progress,
                flush=True,
            )
    # max() keeps the first of equal keys, i.e. grid order breaks exact ties.
    best = max(points, key=lambda p: (round(p.token_accuracy, 9), round(p.name_accuracy, 9)))
    return best, points

"""How a CRF is trained: the fixed trainer settings and one `fit` used by search and final model.

Features come from `mask_predictor.features` (the function's own module), so the trained model
and the deployed predictor see identical attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sklearn_crfsuite

from mask_predictor.features import name_features

ALGORITHM = "lbfgs"
# Bounded so a bad (c1, c2) cannot run for minutes; the grid's models converge well before.
MAX_ITERATIONS = 1000
# Lets the model learn that some label pairs never follow each other (e.g. size -> brand).
ALL_POSSIBLE_TRANSITIONS = True

Sequences = list[list[list[str]]]
LabelSequences = list[list[str]]


def featurize(names: Sequence[str]) -> Sequences:
    return [name_features(name)[1] for name in names]


def fit(
    sequences: Sequences,
    labels: LabelSequences,
    *,
    c1: float,
    c2: float,
    model_filename: Path | None = None,
) -> sklearn_crfsuite.CRF:
    """A trained CRF. With `model_filename`, CRFsuite writes its native model file there."""
    crf = sklearn_crfsuite.CRF(
        algorithm=ALGORITHM,
        c1=c1,
        c2=c2,
        max_iterations=MAX_ITERATIONS,
        all_possible_transitions=ALL_POSSIBLE_TRANSITIONS,
        model_filename=str(model_filename) if model_filename is not None else None,
    )
    crf.fit(sequences, labels)
    return crf


def predict(crf: sklearn_crfsuite.CRF, sequences: Sequences) -> LabelSequences:
    tagger = crf.tagger_
    return [list(tagger.tag(sequence)) for sequence in sequences]

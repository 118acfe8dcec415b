"""The original approach, rebuilt for comparison: an sklearn_crfsuite.CRF pickled with joblib.

The original function imported ``sklearn_crfsuite`` and ``joblib`` (pulling in scikit-learn,
scipy and numpy), unpickled the CRF at start, and answered with ``crf.predict([features])`` and
``crf.predict_marginals([features])``. Here it is trained on the same data, with the same
features (``mask_predictor.features``) and the same regularisation as our model, so the two
differ only in how the model is packaged, loaded and queried.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import sklearn_crfsuite

from mask_predictor.features import name_features
from mask_predictor.predictor import METADATA_FILE_NAME
from training.mask_predictor import dataset
from training.mask_predictor.crf import featurize, fit

# What a fresh process runs for one cold start; MODEL_PATH and MASK_NAME are filled in.
COLD_START_SCRIPT = """
import time
started = time.perf_counter()
import joblib
import sklearn_crfsuite
from mask_predictor.features import name_features
crf = joblib.load(MODEL_PATH)
tokens, features = name_features(MASK_NAME)
labels = crf.predict([features])[0]
marginals = crf.predict_marginals([features])[0]
elapsed = time.perf_counter() - started
assert len(labels) == len(tokens) == len(marginals)
import json
print(json.dumps({"in_process_ms": elapsed * 1000}))
"""


def train_pickled_crf(*, model_dir: Path, output_path: Path) -> dict[str, Any]:
    """Train the original-style CRF with our model's settings; return what it was trained on."""
    metadata = json.loads((model_dir / METADATA_FILE_NAME).read_text(encoding="utf-8"))
    names = dataset.load_labelled_names(dataset.DEFAULT_DATA_PATH)
    synthetic = (
        dataset.load_labelled_names(dataset.DEFAULT_SYNTHETIC_PATH) if dataset.DEFAULT_SYNTHETIC_PATH.exists() else ()
    )
    training_names = dataset.split(names, synthetic=synthetic).train
    crf = fit(
        featurize([item.name for item in training_names]),
        [list(item.labels) for item in training_names],
        c1=float(metadata["c1"]),
        c2=float(metadata["c2"]),
    )
    joblib.dump(crf, output_path)
    return {"training_names": len(training_names), "c1": metadata["c1"], "c2": metadata["c2"]}


def cold_start_script(*, model_path: Path, mask_name: str) -> str:
    return f"MODEL_PATH = {str(model_path)!r}\nMASK_NAME = {mask_name!r}\n" + COLD_START_SCRIPT


def load(model_path: Path) -> sklearn_crfsuite.CRF:
    return joblib.load(model_path)


def predict_one(crf: sklearn_crfsuite.CRF, mask_name: str) -> tuple[list[str], list[dict[str, float]]]:
    _tokens, features = name_features(mask_name)
    return crf.predict([features])[0], crf.predict_marginals([features])[0]


def predict_many(crf: sklearn_crfsuite.CRF, mask_names: Sequence[str]) -> tuple[list[list[str]], list[Any]]:
    sequences = [name_features(name)[1] for name in mask_names]
    return crf.predict(sequences), crf.predict_marginals(sequences)

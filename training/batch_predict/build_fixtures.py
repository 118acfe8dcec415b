"""Build the batch predictor's committed demo fixtures: one small classifier in three file
formats, and a sample CSV to predict.

    python -m training.batch_predict.build_fixtures [--output fixtures/batch_predict]

- model.skops    scikit-learn LogisticRegression (3 classes: high, low, medium) over the
                 named features feature1, feature2, feature3 (fitted on a pyarrow table, so
                 it records feature_names_in_ and needs no feature_columns); default-trusted
                 types only
- model.onnx     the same model converted by skl2onnx (float input "input" [N, 3], ZipMap
                 probabilities), with metadata_props feature_names and classes (JSON lists),
                 which the function reads in place of feature_names_in_ / classes_
- model.joblib   the same model pickled: loaded only from TRUSTED_PICKLE_PREFIXES
- sample.csv     200 rows: id, feature1, feature2, feature3
Deterministic (numpy's seeded generator, lbfgs, no pandas): a rebuild with the same library
versions gives the same files (tests/functions/batch_predict/test_fixtures.py checks it).
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pyarrow as pa
import skops.io
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression

from stacks.common.paths import REPO_ROOT

DEFAULT_OUTPUT = REPO_ROOT / "fixtures" / "batch_predict"
FEATURES = ("feature1", "feature2", "feature3")
CLASS_NAMES = ("low", "medium", "high")
SEED = 20261124
TRAIN_ROWS = 600
SAMPLE_ROWS = 200
ONNX_OPSETS = {"": 17, "ai.onnx.ml": 3}  # what onnxruntime has supported for years
# Weights of the hidden score the classes are cut from, and the features' scales.
SCORE_WEIGHTS = np.array([1.5, -2.0, 0.75])
FEATURE_SCALES = np.array([10.0, 3.0, 1.0])
FEATURE_OFFSETS = np.array([50.0, 5.0, 0.0])

SKOPS_FILE = "model.skops"
ONNX_FILE = "model.onnx"
JOBLIB_FILE = "model.joblib"
SAMPLE_FILE = "sample.csv"
FILES = (SKOPS_FILE, ONNX_FILE, JOBLIB_FILE, SAMPLE_FILE)


def synthetic_features(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Features on their own scales, rounded to 3 decimals (as a CSV would carry them)."""
    standard = rng.normal(size=(rows, len(FEATURES)))
    return np.round(standard * FEATURE_SCALES + FEATURE_OFFSETS, 3)


def synthetic_labels(rng: np.random.Generator, features: np.ndarray) -> np.ndarray:
    standard = (features - FEATURE_OFFSETS) / FEATURE_SCALES
    score = standard @ SCORE_WEIGHTS + rng.normal(scale=0.5, size=len(features))
    low, high = np.quantile(score, [1 / 3, 2 / 3])
    return np.array(CLASS_NAMES, dtype=object)[np.digitize(score, [low, high])]


def train(rng: np.random.Generator) -> LogisticRegression:
    features = synthetic_features(rng, TRAIN_ROWS)
    labels = synthetic_labels(rng, features)
    table = pa.table({name: features[:, index] for index, name in enumerate(FEATURES)})
    # A pyarrow table (not an array): scikit-learn records feature_names_in_ from it.
    return LogisticRegression(max_iter=1000).fit(table, labels)


def to_onnx_bytes(model: LogisticRegression) -> bytes:
    onnx_model = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, len(FEATURES)]))],
        target_opset=ONNX_OPSETS,
    )
    # Reproducible bytes: skl2onnx names the graph with a random uuid and lists opsets in set order.
    onnx_model.graph.name = "batch_predict_fixture"
    opsets = sorted((entry.domain, entry.version) for entry in onnx_model.opset_import)
    del onnx_model.opset_import[:]
    for domain, version in opsets:
        onnx_model.opset_import.add(domain=domain, version=version)
    for key, value in (("feature_names", list(FEATURES)), ("classes", [str(c) for c in model.classes_])):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    return onnx_model.SerializeToString()


def to_skops_bytes(model: LogisticRegression) -> bytes:
    """skops' zip made reproducible: it names array members and tags objects ("__id__") with
    Python object ids, and stamps members with the current time. Here ids and names are
    numbered in order of appearance and members dated 1980-01-01, so the same model gives the
    same bytes (and loads exactly as before)."""
    original = zipfile.ZipFile(io.BytesIO(skops.io.dumps(model)))
    arrays = [member.filename for member in original.infolist() if member.filename != "schema.json"]
    files = {name: f"array-{index}.npy" for index, name in enumerate(arrays)}
    ids: dict[int, int] = {}

    def renumber(node: object) -> object:
        if isinstance(node, dict):
            return {
                key: (
                    ids.setdefault(value, len(ids))
                    if key == "__id__" and isinstance(value, int)
                    else files.get(value, value)
                    if key == "file" and isinstance(value, str)
                    else renumber(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [renumber(item) for item in node]
        return node

    schema = json.dumps(renumber(json.loads(original.read("schema.json"))), indent=2).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as rebuilt:
        for member in original.infolist():
            name = files.get(member.filename, member.filename)
            data = schema if name == "schema.json" else original.read(member.filename)
            rebuilt.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def sample_csv(rng: np.random.Generator) -> str:
    features = synthetic_features(rng, SAMPLE_ROWS)
    lines = [",".join(("id", *FEATURES))]
    for index, row in enumerate(features):
        lines.append(",".join((f"cust-{index + 1:04d}", *(f"{value:.3f}" for value in row))))
    return "\n".join(lines) + "\n"


def build(output: Path) -> list[Path]:
    """Write every fixture file into `output`; their paths."""
    output.mkdir(parents=True, exist_ok=True)
    model = train(np.random.default_rng(SEED))
    (output / SKOPS_FILE).write_bytes(to_skops_bytes(model))
    joblib.dump(model, output / JOBLIB_FILE)
    (output / ONNX_FILE).write_bytes(to_onnx_bytes(model))
    (output / SAMPLE_FILE).write_text(sample_csv(np.random.default_rng(SEED + 1)))
    return [output / name for name in FILES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    for path in build(args.output):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

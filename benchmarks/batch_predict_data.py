"""The batch benchmark's inputs: a wide numeric table as CSV and Parquet, and two models.

Deterministic (seeded), written once per size into a cache directory, and reused across runs:
generating a 400 MB CSV takes longer than some of the jobs it feeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FEATURES = 20
FEATURE_COLUMNS = tuple(f"feature_{index:02d}" for index in range(FEATURES))
ID_COLUMN = "row_id"
CHUNK_ROWS = 100_000
TRAINING_ROWS = 20_000


def _chunk(rows: int, start: int, seed: int) -> pa.Table:
    generator = np.random.default_rng(seed)
    values = generator.standard_normal((rows, FEATURES))
    columns = {ID_COLUMN: pa.array(np.arange(start, start + rows, dtype=np.int64))}
    columns.update({name: pa.array(values[:, index]) for index, name in enumerate(FEATURE_COLUMNS)})
    return pa.table(columns)


def write_inputs(directory: Path, *, rows: int) -> dict[str, Path]:
    """`input-<rows>.csv` and `.parquet` in `directory` (kept when already there)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"csv": directory / f"input-{rows}.csv", "parquet": directory / f"input-{rows}.parquet"}
    if all(path.exists() for path in paths.values()):
        return paths
    partial = {kind: path.with_name(path.name + ".partial") for kind, path in paths.items()}
    schema = _chunk(1, 0, 0).schema
    with (
        pa_csv.CSVWriter(partial["csv"], schema) as csv_writer,
        pq.ParquetWriter(partial["parquet"], schema) as parquet_writer,
    ):
        for start in range(0, rows, CHUNK_ROWS):
            table = _chunk(min(CHUNK_ROWS, rows - start), start, seed=start)
            csv_writer.write_table(table)
            parquet_writer.write_table(table)
    for kind, path in paths.items():
        partial[kind].replace(path)
    return paths


def training_set() -> tuple[np.ndarray, np.ndarray]:
    """Features and a binary label that depends on them (with noise), from its own seed."""
    generator = np.random.default_rng(20_261_124)
    features = generator.standard_normal((TRAINING_ROWS, FEATURES))
    weights = generator.standard_normal(FEATURES)
    logits = features @ weights + 0.5 * generator.standard_normal(TRAINING_ROWS)
    return features, (logits > 0).astype(np.int64)


def train_models() -> dict[str, object]:
    """The two models of the issue, logistic regression and a random forest, fitted on a
    DataFrame as the original code's users fit them, so they carry their feature names."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    values, labels = training_set()
    features = pd.DataFrame(values, columns=list(FEATURE_COLUMNS))
    models: dict[str, object] = {
        "logistic_regression": LogisticRegression(max_iter=1000),
        "random_forest": RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0),
    }
    for model in models.values():
        model.fit(features, labels)
    return models

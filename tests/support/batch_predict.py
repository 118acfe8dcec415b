"""What the batch_predict function's tests share besides fixtures (tests/functions/batch_predict/conftest.py has
those): its paths and environment, and helpers; moved here from that conftest so that test
modules import them from tests.support, never from a conftest."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import skops.io
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from stacks.common.paths import REPO_ROOT
from tests.support.aws_environment import dummy_aws_environment
from tests.support.handlers import runtime_environment

FUNCTION_DIR = REPO_ROOT / "functions" / "batch_predict"
FIXTURES_DIR = REPO_ROOT / "fixtures" / "batch_predict"
FUNCTION_NAME = "batch-predict-test"
REGION = "eu-west-1"
MODEL_BUCKET, MODEL_PREFIX = "bp-models", "models/"
DATA_BUCKET, DATA_PREFIX = "bp-data", "incoming/"
RESULTS_BUCKET, RESULTS_PREFIX = "bp-results", "predictions/"
TRUSTED_PREFIX = f"s3://{MODEL_BUCKET}/trusted/"
TRIGGER_MODEL_URI = f"s3://{MODEL_BUCKET}/{MODEL_PREFIX}trigger/model.skops"
FEATURES = ("f1", "f2", "f3")
CLASSES = ("gold", "silver", "bronze")
BATCH_ROWS = 40  # small: the tests' data spans several record batches
# The function's environment as its stack sets it (plus a small batch size).
FUNCTION_ENVIRONMENT = {
    "MODEL_BUCKET": MODEL_BUCKET,
    "MODEL_PREFIX": MODEL_PREFIX,
    "DATA_BUCKET": DATA_BUCKET,
    "DATA_PREFIX": DATA_PREFIX,
    "RESULTS_BUCKET": RESULTS_BUCKET,
    "RESULTS_PREFIX": RESULTS_PREFIX,
    "TRUSTED_PICKLE_PREFIXES": TRUSTED_PREFIX,
    "TRIGGER_MODEL_S3_URI": TRIGGER_MODEL_URI,
    "BATCH_ROWS": str(BATCH_ROWS),
    "MULTIPART_PART_MB": "5",
    "MODEL_CACHE_SIZE": "2",
    **runtime_environment(service="batch-predict", function_name=FUNCTION_NAME, memory_mb=2048),
}
# Read by the function: must not leak in from the developer's shell.
UNSET_VARIABLES = (
    "TRIGGER_FEATURE_COLUMNS",
    "TRIGGER_PREDICTION_COLUMN",
    "INTRA_OP_THREADS",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_DEV",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
)


def s3_environment(endpoint: str, tmp: Path) -> dict[str, str]:
    # the function downloads models under tempfile.gettempdir()
    return {**dummy_aws_environment(endpoint, tmp, REGION), "TMPDIR": str(tmp)}


def unique(name: str) -> str:
    """`name` with a random directory in front: tests never see each other's objects."""
    return f"{uuid.uuid4().hex[:10]}/{name}"


def model_uri(name: str) -> str:
    return f"s3://{MODEL_BUCKET}/{MODEL_PREFIX}{unique(name)}"


def data_uri(name: str) -> str:
    return f"s3://{DATA_BUCKET}/{DATA_PREFIX}{unique(name)}"


def output_uri(name: str) -> str:
    return f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}{unique(name)}"


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def put(s3: Any, uri: str, data: bytes) -> str:
    bucket, key = split(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    return uri


def get(s3: Any, uri: str) -> bytes:
    bucket, key = split(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def object_exists(s3: Any, uri: str) -> bool:
    bucket, key = split(uri)
    return any(entry["Key"] == key for entry in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", ()))


def open_uploads(s3: Any, bucket: str = RESULTS_BUCKET) -> list[dict[str, Any]]:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def training_table(rows: int = 300, seed: int = 7) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """(features as a named table, class labels, regression targets)."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(rows, len(FEATURES))) * [2.0, 1.0, 5.0] + [0.0, 3.0, -1.0]
    score = matrix @ np.array([1.0, -1.5, 0.3]) + rng.normal(scale=0.3, size=rows)
    labels = np.array(CLASSES, dtype=object)[np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))]
    table = pa.table({name: matrix[:, index] for index, name in enumerate(FEATURES)})
    return table, labels, score


def skops_bytes(model: Any) -> bytes:
    return skops.io.dumps(model)


def joblib_bytes(model: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def onnx_bytes(model: Any, *, zipmap: bool = True, feature_names: bool = True) -> bytes:
    options = None if zipmap or not hasattr(model, "classes_") else {id(model): {"zipmap": False}}
    converted = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, len(FEATURES)]))],
        options=options,
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    if feature_names:
        entry = converted.metadata_props.add()
        entry.key, entry.value = "feature_names", json.dumps(list(FEATURES))
    return converted.SerializeToString()


def input_table(rows: int = 100, seed: int = 11) -> pa.Table:
    """An id column of text that must survive unchanged ("007" stays "007"), the features, and a
    free-text column with commas, quotes and a line break."""
    rng = np.random.default_rng(seed)
    matrix = np.round(rng.normal(size=(rows, len(FEATURES))) * [2.0, 1.0, 5.0] + [0.0, 3.0, -1.0], 4)
    notes = [f'note {i}, "quoted"' if i % 7 == 0 else ("two\nlines" if i % 11 == 0 else f"n{i}") for i in range(rows)]
    columns: dict[str, Any] = {"id": [f"{i:03d}" for i in range(rows)]}
    columns.update({name: matrix[:, index] for index, name in enumerate(FEATURES)})
    columns["note"] = notes
    return pa.table(columns)


def feature_array(table: pa.Table) -> np.ndarray:
    return np.column_stack([table[name].to_numpy().astype(np.float64) for name in FEATURES])


def named_features(table: pa.Table) -> pa.Table:
    """The feature columns as a table: what models fitted with feature names are called with."""
    return pa.table({name: table[name].cast(pa.float64()) for name in FEATURES})


def encode(table: pa.Table, extension: str) -> bytes:
    """`table` as a file of that extension (.csv, .csv.gz, .jsonl, .jsonl.gz, .ndjson, .parquet)."""
    if extension.endswith(".gz"):
        return gzip.compress(encode(table, extension.removesuffix(".gz")))
    if extension == ".csv":
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer)
        return buffer.getvalue()
    if extension in (".jsonl", ".ndjson"):
        return "".join(json.dumps(row) + "\n" for row in table.to_pylist()).encode()
    if extension == ".parquet":
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()
    raise ValueError(extension)


def decode(data: bytes, extension: str) -> pa.Table:
    """An output file back into a table (text columns read as text)."""
    if extension.endswith(".gz"):
        return decode(gzip.decompress(data), extension.removesuffix(".gz"))
    if extension == ".csv":
        return pa_csv.read_csv(
            io.BytesIO(data),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={"id": pa.string(), "note": pa.string()}),
        )
    if extension in (".jsonl", ".ndjson"):
        return pa_json.read_json(io.BytesIO(data))
    if extension == ".parquet":
        return pq.read_table(io.BytesIO(data))
    raise ValueError(extension)


def rejected(handler: ModuleType, context: Any, event: Any, *, s3: Any | None = None) -> str:
    """The 400 message for `event`, after checking the whole error shape."""
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400, response
    body = response["body"]
    assert set(body) == {"success", "error", "error_type"}
    assert body["success"] is False and body["error_type"] == "ValidationError"
    assert "Traceback" not in body["error"]
    if s3 is not None and isinstance(event, dict) and isinstance(event.get("output_s3_uri"), str):
        assert not object_exists(s3, event["output_s3_uri"])
        assert open_uploads(s3) == []
    return body["error"]

"""Direct invokes against a real S3 server: every input and output format, every model file
format, probabilities; each output compared row by row with scikit-learn's own predictions."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.batch_predict import (
    BATCH_ROWS,
    FEATURES,
    TRUSTED_PREFIX,
    data_uri,
    decode,
    encode,
    feature_array,
    get,
    input_table,
    joblib_bytes,
    model_uri,
    named_features,
    onnx_bytes,
    open_uploads,
    output_uri,
    put,
    skops_bytes,
    split,
    unique,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

ROWS = 3 * BATCH_ROWS + 7  # several record batches and a short last one
Predict = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return input_table(ROWS)


@pytest.fixture(scope="module")
def skops_classifier(s3: Any, classifier: Any) -> str:
    return put(s3, model_uri("classifier.skops"), skops_bytes(classifier))


def predict(handler: ModuleType, context: LocalLambdaContext, **event: Any) -> dict[str, Any]:
    response = handler.lambda_handler(event, context)
    assert set(response) == {"statusCode", "body"}
    return response


@pytest.fixture
def predict_ok(handler: ModuleType, context: LocalLambdaContext) -> Predict:
    """`predict` of `model` on `source` into `target`, which must succeed."""

    def call(model: str, source: str, target: str, **extra: Any) -> dict[str, Any]:
        response = predict(handler, context, model_s3_uri=model, data_s3_uri=source, output_s3_uri=target, **extra)
        assert response["statusCode"] == 200, response
        return response

    return call


def assert_input_rows_unchanged(output: pa.Table, table: pa.Table) -> None:
    assert output.num_rows == table.num_rows
    assert output["id"].to_pylist() == table["id"].to_pylist()  # "007" is still "007"
    assert output["note"].to_pylist() == table["note"].to_pylist()  # commas, quotes, line breaks
    for name in FEATURES:
        np.testing.assert_array_equal(output[name].to_numpy().astype(np.float64), table[name].to_numpy())


@pytest.mark.parametrize("extension", [".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".parquet"])
def test_every_input_format_gives_scikit_learns_predictions(
    predict_ok: Predict, s3: Any, table: pa.Table, classifier: Any, skops_classifier: str, extension: str
) -> None:
    source = put(s3, data_uri(f"in{extension}"), encode(table, extension))
    target = output_uri("out.csv")
    response = predict_ok(skops_classifier, source, target)
    body = response["body"]
    assert body["success"] is True
    assert body["predictions_generated"] == ROWS
    assert body["output_s3_uri"] == target
    assert body["prediction_column_name"] == "prediction"
    assert body["input_format"] == extension.lstrip(".").replace("ndjson", "jsonl")
    assert body["output_format"] == "csv"
    assert body["model"]["s3_uri"] == skops_classifier and body["model"]["format"] == "skops"
    output = decode(get(s3, target), ".csv")
    assert output.column_names == ["id", *FEATURES, "note", "prediction"]
    assert_input_rows_unchanged(output, table)
    assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()


@pytest.mark.parametrize("extension", [".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet"])
def test_every_output_format_with_probabilities(
    predict_ok: Predict, s3: Any, table: pa.Table, classifier: Any, skops_classifier: str, extension: str
) -> None:
    source = put(s3, data_uri("in.parquet"), encode(table, ".parquet"))
    target = output_uri(f"out{extension}")
    response = predict_ok(skops_classifier, source, target, prediction_column_name="tier", include_probabilities=True)
    assert response["body"]["output_format"] == extension.lstrip(".")
    output = decode(get(s3, target), extension)
    classes = list(classifier.classes_)
    assert output.column_names == ["id", *FEATURES, "note", "tier", *[f"probability_{c}" for c in classes]]
    assert_input_rows_unchanged(output, table)
    features = named_features(table)
    assert output["tier"].to_pylist() == classifier.predict(features).tolist()
    expected = classifier.predict_proba(features)
    for index, label in enumerate(classes):
        np.testing.assert_allclose(output[f"probability_{label}"].to_numpy(), expected[:, index], rtol=0, atol=1e-12)


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "plain-probabilities"])
def test_onnx_models_agree_with_scikit_learn(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, table: pa.Table, classifier: Any, zipmap: bool
) -> None:
    model = put(s3, model_uri("classifier.onnx"), onnx_bytes(classifier, zipmap=zipmap, feature_names=zipmap))
    source = put(s3, data_uri("in.csv"), encode(table, ".csv"))
    target = output_uri("out.parquet")
    event = {"model_s3_uri": model, "data_s3_uri": source, "output_s3_uri": target, "include_probabilities": True}
    if not zipmap:  # no feature names in the file: the request names the columns
        event["feature_columns"] = list(FEATURES)
    response = predict(handler, context, **event)
    assert response["statusCode"] == 200, response
    assert response["body"]["model"]["format"] == "onnx"
    output = decode(get(s3, target), ".parquet")
    assert_input_rows_unchanged(output, table)
    features = named_features(table)
    assert output["prediction"].to_pylist() == classifier.predict(features).tolist()
    expected = classifier.predict_proba(features)
    # ZipMap names the classes; a plain matrix without a "classes" metadata entry numbers them
    names = list(classifier.classes_) if zipmap else list(range(len(classifier.classes_)))
    for index, label in enumerate(names):
        np.testing.assert_allclose(output[f"probability_{label}"].to_numpy(), expected[:, index], atol=1e-5)


def test_a_trusted_joblib_model_is_loaded(predict_ok: Predict, s3: Any, table: pa.Table, classifier: Any) -> None:
    model = put(s3, f"{TRUSTED_PREFIX}{unique('classifier.joblib')}", joblib_bytes(classifier))
    source = put(s3, data_uri("in.jsonl"), encode(table, ".jsonl"))
    target = output_uri("out.jsonl")
    response = predict_ok(model, source, target)
    assert response["body"]["model"]["format"] == "joblib"
    output = decode(get(s3, target), ".jsonl")
    assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()


@pytest.mark.parametrize("model_format", ["skops", "onnx"])
def test_regressors_agree_with_scikit_learn(
    predict_ok: Predict, s3: Any, table: pa.Table, regressor: Any, model_format: str
) -> None:
    content = skops_bytes(regressor) if model_format == "skops" else onnx_bytes(regressor)
    model = put(s3, model_uri(f"regressor.{model_format}"), content)
    source = put(s3, data_uri("in.csv.gz"), encode(table, ".csv.gz"))
    target = output_uri("out.parquet")
    predict_ok(model, source, target, prediction_column_name="predicted_value")
    output = decode(get(s3, target), ".parquet")
    assert output.schema.field("predicted_value").type == (pa.float64() if model_format == "skops" else pa.float32())
    expected = regressor.predict(named_features(table))
    tolerance = 1e-12 if model_format == "skops" else 1e-4
    np.testing.assert_allclose(output["predicted_value"].to_numpy(), expected, rtol=tolerance, atol=tolerance)


def test_the_seed_contracts_event_with_feature_columns(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, table: pa.Table, unnamed_classifier: Any
) -> None:
    """The callers' original event: a model without feature names, feature_columns given."""
    model = put(s3, model_uri("unnamed.skops"), skops_bytes(unnamed_classifier))
    source = put(s3, data_uri("in.csv"), encode(table, ".csv"))
    target = output_uri("out.csv")
    event = {
        "model_s3_uri": model,
        "data_s3_uri": source,
        "output_s3_uri": target,
        "prediction_column_name": "predicted_value",
        "feature_columns": list(FEATURES),
    }
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 200, response
    assert {"success", "predictions_generated", "output_s3_uri", "prediction_column_name"} <= set(response["body"])
    assert response["body"]["prediction_column_name"] == "predicted_value"
    output = decode(get(s3, target), ".csv")
    assert output["predicted_value"].to_pylist() == unnamed_classifier.predict(feature_array(table)).tolist()
    assert open_uploads(s3) == []


def test_feature_columns_in_another_order_are_fed_in_the_models_order(
    predict_ok: Predict, s3: Any, table: pa.Table, classifier: Any, skops_classifier: str
) -> None:
    source = put(s3, data_uri("in.csv"), encode(table, ".csv"))
    target = output_uri("out.csv")
    predict_ok(skops_classifier, source, target, feature_columns=list(reversed(FEATURES)))
    output = decode(get(s3, target), ".csv")
    assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()


def test_csv_text_columns_are_written_back_verbatim(
    handler: ModuleType, context: LocalLambdaContext, predict_ok: Predict, s3: Any, skops_classifier: str
) -> None:
    """Everything but the features is text in, the same text out: no type inference on ids,
    zip codes or dates, whatever the read block they are in."""
    rows = ["id,f1,f2,f3,zip,when"]
    rows += [f"{i:05d},{i % 5}.5,1,2,{'0' if i % 2 else ''}{i},2026-01-0{1 + i % 9}" for i in range(4000)]
    rows.append("abc,1,2,3,N/A,not a date")  # a row in a later block that contradicts inferred types
    data = ("\n".join(rows) + "\n").encode()
    assert len(data) > 1.5 * handler.CONFIG.read_block_bytes  # the reader sees several blocks
    source = put(s3, data_uri("in.csv"), data)
    target = output_uri("out.csv")
    predict_ok(skops_classifier, source, target)
    lines = get(s3, target).decode().splitlines()
    assert lines[0] == "id,f1,f2,f3,zip,when,prediction"
    for original, written in zip(rows[1:], lines[1:], strict=True):
        identifier, _, _, _, zip_code, when = original.split(",")
        fields = written.split(",")
        assert (fields[0], fields[4], fields[5]) == (identifier, zip_code, when)


def test_parquet_is_read_through_ranged_gets_pinned_to_one_version(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, table: pa.Table, classifier: Any, skops_classifier: str
) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=BATCH_ROWS)  # several row groups, read one at a time
    source = put(s3, data_uri("in.parquet"), buffer.getvalue())
    _, key = split(source)
    reads: list[dict[str, Any]] = []
    record = lambda params, **_: reads.append(dict(params)) if params.get("Key") == key else None  # noqa: E731
    handler.S3.meta.events.register("before-parameter-build.s3.GetObject", record)
    try:
        target = output_uri("out.csv")
        response = predict(handler, context, model_s3_uri=skops_classifier, data_s3_uri=source, output_s3_uri=target)
    finally:
        handler.S3.meta.events.unregister("before-parameter-build.s3.GetObject", record)
    assert response["statusCode"] == 200, response
    assert len(reads) >= 2 and all(read["Range"].startswith("bytes=") for read in reads)
    assert {read["IfMatch"] for read in reads} == {s3.head_object(Bucket=split(source)[0], Key=key)["ETag"]}
    output = decode(get(s3, target), ".csv")
    assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()

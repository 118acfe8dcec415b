"""Every caller mistake is a 400 ValidationError whose message names what to fix (the field,
the column, the row, the allowed location), and leaves no output and no open upload."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import RandomForestClassifier

from tests.support.batch_predict import (
    DATA_BUCKET,
    DATA_PREFIX,
    FEATURES,
    MODEL_BUCKET,
    MODEL_PREFIX,
    RESULTS_BUCKET,
    RESULTS_PREFIX,
    data_uri,
    encode,
    input_table,
    joblib_bytes,
    model_uri,
    output_uri,
    put,
    rejected,
    skops_bytes,
    training_table,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

CSV_HEADER = "id,f1,f2,f3\n"
Reject = Callable[..., str]
NOT_A_URI = "is not an s3://bucket/key URI"


@pytest.fixture(scope="module")
def skops_classifier(s3: Any, classifier: Any) -> str:
    return put(s3, model_uri("classifier.skops"), skops_bytes(classifier))


@pytest.fixture(scope="module")
def good_csv(s3: Any) -> str:
    return put(s3, data_uri("in.csv"), encode(input_table(20), ".csv"))


@pytest.fixture
def reject(handler: ModuleType, context: LocalLambdaContext, s3: Any) -> Reject:
    """`rejected` for this module's handler; `checked=False` skips the no-output checks."""

    def call(event: Any, *, checked: bool = True) -> str:
        return rejected(handler, context, event, s3=s3 if checked else None)

    return call


@pytest.fixture
def reject_field(reject: Reject, skops_classifier: str, good_csv: str) -> Reject:
    """The 400 message for the classifier run on the good CSV with `field` set to `value`."""

    def call(field: str, value: Any, *, checked: bool = True) -> str:
        return reject({**job(skops_classifier, good_csv), field: value}, checked=checked)

    return call


@pytest.fixture
def reject_model(reject: Reject, s3: Any, good_csv: str) -> Reject:
    """The 400 message for a model stored as `name` with `content`, run on the good CSV."""

    def call(name: str, content: bytes, **extra: Any) -> str:
        return reject(job(put(s3, model_uri(name), content), good_csv, **extra))

    return call


@pytest.fixture
def reject_data(reject: Reject, s3: Any, skops_classifier: str) -> Reject:
    """The 400 message for the classifier run on data `content` stored as `name`."""

    def call(name: str, content: bytes) -> str:
        return reject(job(skops_classifier, put(s3, data_uri(name), content)))

    return call


def job(model: str, data: str, output: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"model_s3_uri": model, "data_s3_uri": data, "output_s3_uri": output or output_uri("out.csv"), **extra}


# --- the event itself -------------------------------------------------------------------------


@pytest.mark.parametrize("event", [[], "predict", 42, None], ids=["array", "string", "number", "null"])
def test_an_event_that_is_not_an_object(reject: Reject, event: Any) -> None:
    assert "must be a JSON object" in reject(event, checked=False)


def test_missing_fields_are_all_named(reject: Reject) -> None:
    message = reject({"data_s3_uri": "s3://bp-data/incoming/x.csv"}, checked=False)
    assert "'model_s3_uri'" in message and "'output_s3_uri'" in message and "'data_s3_uri'" not in message.split(":")[0]


def test_an_unknown_action(reject: Reject) -> None:
    assert "unknown action 'reboot'" in reject({"action": "reboot"}, checked=False)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("model_s3_uri", "models/model.skops", NOT_A_URI),
        ("data_s3_uri", "s3://bp-data", NOT_A_URI),
        ("data_s3_uri", "s3://bp-data/incoming/", NOT_A_URI),
        ("output_s3_uri", "s3://Bad_Bucket/out.csv", NOT_A_URI),
        ("output_s3_uri", "https://bp-results.s3.amazonaws.com/out.csv", NOT_A_URI),
        ("model_s3_uri", 7, "must be a string"),
        ("feature_columns", "f1,f2", "feature_columns must be a non-empty array"),
        ("feature_columns", [], "feature_columns must be a non-empty array"),
        ("feature_columns", ["f1", "f1"], "names 'f1' more than once"),
        ("feature_columns", ["f1", ""], "feature_columns[1] must be a non-empty string"),
        ("include_probabilities", "yes", "include_probabilities must be true or false"),
        ("overwrite", 1, "overwrite must be true or false"),
        ("prediction_column_name", "", "prediction_column_name must be a non-empty string"),
    ],
)
def test_malformed_fields_are_named(reject_field: Reject, field: str, value: Any, expected: str) -> None:
    message = reject_field(field, value, checked=False)
    assert message.startswith(field) or expected in message
    assert expected in message


# --- locations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "uri", "allowed"),
    [
        ("model_s3_uri", f"s3://{DATA_BUCKET}/{DATA_PREFIX}model.skops", f"s3://{MODEL_BUCKET}/{MODEL_PREFIX}"),
        ("model_s3_uri", f"s3://{MODEL_BUCKET}/elsewhere/model.onnx", f"s3://{MODEL_BUCKET}/{MODEL_PREFIX}"),
        ("data_s3_uri", f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}in.csv", f"s3://{DATA_BUCKET}/{DATA_PREFIX}"),
        ("data_s3_uri", f"s3://{DATA_BUCKET}/incoming-private/in.csv", f"s3://{DATA_BUCKET}/{DATA_PREFIX}"),
        ("output_s3_uri", f"s3://{DATA_BUCKET}/{DATA_PREFIX}out.csv", f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}"),
    ],
)
def test_uris_outside_the_allowed_locations_name_the_allowed_one(
    reject_field: Reject, field: str, uri: str, allowed: str
) -> None:
    message = reject_field(field, uri)
    assert message.startswith(f"{field} {uri} is outside")
    assert f"use a URI under {allowed}" in message


# --- objects ----------------------------------------------------------------------------------


def test_a_model_that_does_not_exist(reject: Reject, s3: Any, good_csv: str) -> None:
    missing = model_uri("missing.skops")
    assert reject(job(missing, good_csv)) == (f"model_s3_uri {missing} does not exist: check the bucket and key")


def test_data_that_does_not_exist(reject: Reject, s3: Any, skops_classifier: str) -> None:
    missing = data_uri("missing.csv")
    assert reject(job(skops_classifier, missing)) == (f"data_s3_uri {missing} does not exist: check the bucket and key")


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("data_s3_uri", "in.txt"),
        ("data_s3_uri", "in.json"),
        ("output_s3_uri", "out.xlsx"),
        ("model_s3_uri", "model.h5"),
    ],
)
def test_unknown_extensions(reject_field: Reject, s3: Any, field: str, name: str) -> None:
    expected = "cannot tell the model format of" if field == "model_s3_uri" else "cannot tell the data format of"
    uri = {"data_s3_uri": data_uri, "output_s3_uri": output_uri, "model_s3_uri": model_uri}[field](name)
    if field != "output_s3_uri":
        put(s3, uri, b"whatever")
    message = reject_field(field, uri)
    assert message.startswith(field) and expected in message
    assert (".skops" if field == "model_s3_uri" else ".csv") in message  # what would work


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "is empty"),
        ("header-only.csv", CSV_HEADER.encode(), "has no rows"),
        ("blank.jsonl", b"\n\n", "has no records"),
        ("empty.parquet", None, "has no rows"),
    ],
)
def test_empty_data(reject_data: Reject, name: str, content: bytes | None, expected: str) -> None:
    if content is None:
        buffer = io.BytesIO()
        pq.write_table(pa.table({name: pa.array([], pa.float64()) for name in FEATURES}), buffer)
        content = buffer.getvalue()
    assert expected in reject_data(name, content)


# --- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", [".skops", ".onnx"])
def test_a_corrupted_model(reject: Reject, s3: Any, good_csv: str, extension: str) -> None:
    model = put(s3, model_uri(f"broken{extension}"), b"PK\x03\x04 this is not a model at all")
    message = reject(job(model, good_csv))
    assert message.startswith(f"model_s3_uri {model} cannot be loaded as a {extension[1:]} model")


def test_an_untrusted_pickle_is_refused_and_the_message_says_what_to_do(reject_model: Reject, classifier: Any) -> None:
    message = reject_model("model.pkl", joblib_bytes(classifier))
    assert "loading one runs any code it contains" in message
    assert "TRUSTED_PICKLE_PREFIXES (s3://bp-models/trusted/)" in message
    assert "skops" in message and "ONNX" in message and "trusted pickle prefixes in the stack's settings" in message


def test_skops_types_outside_the_default_trust_are_named(reject_model: Reject) -> None:
    table, labels, _ = training_table(60)
    forest = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(table, labels)
    message = reject_model("forest.skops", skops_bytes(forest))
    assert "contains types skops does not trust by default: sklearn.tree._tree.Tree" in message
    assert "convert the model to ONNX" in message


def test_a_model_without_feature_names_needs_feature_columns(reject_model: Reject, unnamed_classifier: Any) -> None:
    message = reject_model("unnamed.skops", skops_bytes(unnamed_classifier))
    assert "does not record the names of its features: pass feature_columns" in message


def test_feature_columns_that_contradict_the_model(
    reject: Reject, s3: Any, skops_classifier: str, good_csv: str
) -> None:
    message = reject(job(skops_classifier, good_csv, feature_columns=["f1", "f2", "f9"]))
    assert "it lacks 'f3'" in message and "the model was not trained on 'f9'" in message


def test_feature_columns_of_the_wrong_count(reject_model: Reject, unnamed_classifier: Any) -> None:
    message = reject_model("unnamed.skops", skops_bytes(unnamed_classifier), feature_columns=["f1", "f2"])
    assert "names 2 columns but the model" in message and "takes 3 features" in message


def test_probabilities_from_a_regressor(reject_model: Reject, regressor: Any) -> None:
    message = reject_model("regressor.skops", skops_bytes(regressor), include_probabilities=True)
    assert "gives no class probabilities" in message


# --- the data's content -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("no-f2.csv", "id,f1,f3\n1,2,3\n", "has no column 'f2' (a feature column); its columns are 'id', 'f1', 'f3'"),
        ("blank.csv", CSV_HEADER + "a,1,2,3\nb,1,,3\n", "feature column 'f2' has no value in row 2"),
        ("na.csv", CSV_HEADER + "a,1,2,3\nb,1,2,3\nc,NA,2,3\n", "feature column 'f1' has no value in row 3"),
        (
            "text.csv",
            CSV_HEADER + "a,1,2,3\nb,1,2,three\n",
            "feature column 'f3' holds text that is not a number in row 2",
        ),
        ("nan.csv", CSV_HEADER + "a,1,2,3\nb,NaN,2,3\n", "feature column 'f1' is NaN or infinite in row 2"),
        ("inf.csv", CSV_HEADER + "a,1,2,inf\n", "feature column 'f3' is NaN or infinite in row 1"),
        ("ragged.csv", CSV_HEADER + "a,1,2,3\nb,1,2\n", "a row has 3 fields where the header has 4"),
        ("dupe.csv", "id,f1,f2,f3,f1\n1,2,3,4,5\n", "the header names 'f1' more than once"),
        ("no-f3.jsonl", '{"id": 1, "f1": 1, "f2": 2}\n', "has no column 'f3'"),
        ("null.jsonl", '{"f1": 1, "f2": 2, "f3": 3}\n{"f1": 1, "f2": null, "f3": 3}\n', "'f2' has no value in row 2"),
        ("absent.jsonl", '{"f1": 1, "f2": 2, "f3": 3}\n{"f1": 1, "f3": 3}\n', "'f2' has no value in row 2"),
        (
            "string.jsonl",
            '{"f1": 1, "f2": 2, "f3": 3}\n{"f1": "1", "f2": 2, "f3": 3}\n',
            "feature column 'f1' holds a string in record 2",
        ),
        (
            "mixed.jsonl",
            '{"k": 1, "f1": 1, "f2": 2, "f3": 3}\n{"k": "x", "f1": 1, "f2": 2, "f3": 3}\n',
            "column 'k' holds number values in the first records and a string in record 2",
        ),
        ("array.jsonl", "[1, 2, 3]\n", "the first line is not a JSON object"),
        ("broken.jsonl", '{"f1": 1,\n', "the first line is not valid JSON"),
    ],
)
def test_bad_values_name_the_column_and_row(reject_data: Reject, name: str, content: str, expected: str) -> None:
    message = reject_data(name, content.encode())
    assert expected in message
    assert "three" not in message  # data values are never echoed (they would reach the logs)


def test_a_bad_value_in_a_later_batch_names_its_row(reject: Reject, s3: Any, skops_classifier: str) -> None:
    rows = [f"{i},1.5,2.5,3.5" for i in range(1, 500)] + ["500,1.5,oops,3.5"]
    source = put(s3, data_uri("late.csv"), (CSV_HEADER + "\n".join(rows) + "\n").encode())
    message = reject(job(skops_classifier, source))
    assert "feature column 'f2' holds text that is not a number in row 500" in message


def test_a_parquet_feature_column_of_text(reject: Reject, s3: Any, skops_classifier: str) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"f1": [1.0], "f2": [2.0], "f3": [[1.0, 2.0]]}), buffer)
    source = put(s3, data_uri("lists.parquet"), buffer.getvalue())
    message = reject(job(skops_classifier, source))
    assert "feature column 'f3' holds list<element: double> values" in message


def test_a_parquet_file_with_missing_values(reject: Reject, s3: Any, skops_classifier: str) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"f1": [1.0, 2.0, 3.0], "f2": [2, None, 2], "f3": [1.0, 1.0, np.nan]}), buffer)
    source = put(s3, data_uri("gaps.parquet"), buffer.getvalue())
    assert "feature column 'f2' has no value in row 2" in reject(job(skops_classifier, source))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("fake.csv.gz", CSV_HEADER.encode() + b"1,2,3,4\n", "is not a gzip file"),
        ("cut.csv.gz", None, "is not a complete gzip file"),
        ("fake.parquet", b"PAR1 not really", "is not a Parquet file"),
        (
            "latin1.csv",
            "id,f1,f2,f3\ncaf\u00e9,1,2,3\n".encode("latin-1"),
            "column 'id' holds bytes that are not UTF-8 text",
        ),
        ("latin1-header.csv", "id,f\u00e91,f2,f3\n1,1,2,3\n".encode("latin-1"), "the header is not UTF-8 text"),
    ],
)
def test_files_that_are_not_what_their_extension_says(
    reject_data: Reject, name: str, content: bytes | None, expected: str
) -> None:
    if content is None:  # a real gzip stream, cut short
        content = encode(input_table(2000), ".csv.gz")[:-200]
    assert expected in reject_data(name, content)


def test_a_prediction_column_that_already_exists(reject: Reject, s3: Any, skops_classifier: str, good_csv: str) -> None:
    message = reject(job(skops_classifier, good_csv, prediction_column_name="note"))
    assert "the input already has column(s) 'note'" in message and "choose another prediction_column_name" in message

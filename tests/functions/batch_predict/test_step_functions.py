"""Step Functions: plan_job, then Distributed Map batches of CSV rows (as S3CsvItemReader hands
them over) or of S3 objects (as the listing reader does). Failures raise an exception named
after the error type, so the Map counts the item as failed."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pyarrow as pa
import pytest

from batch_predict.errors import InternalError
from lambda_common.errors import ValidationError
from stacks.common.batch_job_payloads import BATCH_INPUT_FIELDS
from tests.support.batch_predict import (
    DATA_BUCKET,
    DATA_PREFIX,
    FEATURES,
    RESULTS_BUCKET,
    RESULTS_PREFIX,
    data_uri,
    decode,
    encode,
    get,
    input_table,
    model_uri,
    named_features,
    open_uploads,
    put,
    skops_bytes,
    split,
    unique,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

Planner = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def skops_classifier(s3: Any, classifier: Any) -> str:
    return put(s3, model_uri("classifier.skops"), skops_bytes(classifier))


def output_prefix() -> str:
    return f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}{unique('job')}/"


def plan(handler: ModuleType, context: LocalLambdaContext, **job: Any) -> dict[str, Any]:
    return handler.lambda_handler({"action": "plan_job", "job": job}, context)


@pytest.fixture
def plan_job(handler: ModuleType, context: LocalLambdaContext, skops_classifier: str) -> Planner:
    """`plan` with the stored classifier as the job's model."""
    return functools.partial(plan, handler, context, model_s3_uri=skops_classifier)


@pytest.fixture
def small_csv_job(s3: Any, plan_job: Planner) -> tuple[str, str, dict[str, Any]]:
    """A five-row CSV, a fresh output prefix, and the plan of the job between them."""
    source = put(s3, data_uri("big.csv"), encode(input_table(5), ".csv"))
    prefix = output_prefix()
    return source, prefix, plan_job(data_s3_uri=source, output_s3_prefix=prefix)


def csv_items(data: bytes) -> list[dict[str, str]]:
    """What S3CsvItemReader (CSVHeaderLocation FIRST_ROW) hands over: one {column: text} per row."""
    return list(csv.DictReader(io.StringIO(data.decode())))


def listed(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """What the S3 listing item reader hands over: the ListObjectsV2 entries."""
    entries = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return [
        {"Key": e["Key"], "Size": e["Size"], "ETag": e["ETag"], "LastModified": str(e["LastModified"])} for e in entries
    ]


@pytest.fixture
def ranged_reads(handler: ModuleType) -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    handler.S3.meta.events.register("before-parameter-build.s3.GetObject", record)
    yield seen
    handler.S3.meta.events.unregister("before-parameter-build.s3.GetObject", record)


# --- plan_job ---------------------------------------------------------------------------------


def test_plan_csv_rows_reads_only_the_header(
    handler: ModuleType,
    context: LocalLambdaContext,
    s3: Any,
    skops_classifier: str,
    plan_job: Planner,
    ranged_reads: list[dict[str, Any]],
) -> None:
    source = put(s3, data_uri("big.csv"), encode(input_table(200), ".csv"))
    prefix = output_prefix()
    result = plan_job(data_s3_uri=source, output_s3_prefix=prefix, include_probabilities=True)
    bucket, key = split(source)
    assert result == {
        "item_kind": "csv_rows",
        "data_bucket": bucket,
        "data_key": key,
        "batch_input": {
            "item_kind": "csv_rows",
            "model_s3_uri": skops_classifier,
            "output_s3_prefix": prefix,
            "prediction_column_name": "prediction",
            "feature_columns": list(FEATURES),  # resolved from the model: every batch uses the same
            "include_probabilities": True,
            "output_format": "csv",
            "data_bucket": bucket,
            "data_prefix": "",
        },
    }
    assert sorted(result["batch_input"]) == sorted(BATCH_INPUT_FIELDS)  # what the state machine copies
    data_reads = [read for read in ranged_reads if read["Key"] == key]
    assert len(data_reads) == 1 and data_reads[0]["Range"].startswith("bytes=0-")


@pytest.mark.parametrize("name", ["big.csv.gz", "big.jsonl", "big.parquet"])
def test_plan_refuses_csv_rows_for_anything_but_plain_csv(s3: Any, plan_job: Planner, name: str) -> None:
    source = put(s3, data_uri(name), encode(input_table(5), "." + name.split(".", 1)[1]))
    with pytest.raises(ValidationError, match="plain .csv files only.*Pass data_s3_prefix instead"):
        plan_job(data_s3_uri=source, output_s3_prefix=output_prefix())


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ({"data_s3_uri": "HEADER_WITHOUT_F2"}, "has no column 'f2'"),
        ({"data_s3_uri": "MISSING"}, "does not exist"),
        ({"model_s3_uri": "MISSING_MODEL"}, "does not exist"),
        (
            {"output_s3_prefix": f"s3://{DATA_BUCKET}/{DATA_PREFIX}out/"},
            "is outside the location this function may write",
        ),
        ({"data_s3_uri": None}, "exactly one of 'data_s3_uri'"),
        ({"data_s3_prefix": f"s3://{DATA_BUCKET}/{DATA_PREFIX}"}, "exactly one of 'data_s3_uri'"),
        ({"output_format": "xlsx"}, "output_format must be one of"),
        ({"prediction_column_name": "id"}, "already has a column 'id'"),
    ],
)
def test_plan_rejects_a_bad_job(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, skops_classifier: str, job: dict[str, Any], expected: str
) -> None:
    values = {
        "model_s3_uri": skops_classifier,
        "data_s3_uri": put(s3, data_uri("in.csv"), encode(input_table(5), ".csv")),
        "output_s3_prefix": output_prefix(),
    }
    for field, value in job.items():
        if value == "HEADER_WITHOUT_F2":
            value = put(s3, data_uri("in.csv"), b"id,f1,f3\n1,2,3\n")
        elif value == "MISSING":
            value = data_uri("missing.csv")
        elif value == "MISSING_MODEL":
            value = model_uri("missing.skops")
        values[field] = value
    with pytest.raises(ValidationError, match=expected):
        plan(handler, context, **{key: value for key, value in values.items() if value is not None})


def test_plan_for_a_prefix_lists_objects(s3: Any, plan_job: Planner) -> None:
    folder = data_uri("folder/")
    put(s3, folder + "part-1.csv", encode(input_table(5), ".csv"))
    prefix = output_prefix()
    result = plan_job(data_s3_prefix=folder, output_s3_prefix=prefix, output_format="parquet")
    bucket, key_prefix = split(folder)
    assert (result["item_kind"], result["data_bucket"], result["data_prefix"]) == ("s3_objects", bucket, key_prefix)
    assert result["batch_input"]["item_kind"] == "s3_objects"
    # The state machine copies exactly these fields into every batch: one missing fails the Map state.
    assert sorted(result["batch_input"]) == sorted(BATCH_INPUT_FIELDS)
    assert result["batch_input"]["output_format"] == "parquet"
    assert (result["batch_input"]["data_bucket"], result["batch_input"]["data_prefix"]) == (bucket, key_prefix)
    with pytest.raises(ValidationError, match="holds no objects"):
        plan_job(data_s3_prefix=data_uri("empty/"), output_s3_prefix=prefix)


# --- Distributed Map batches ------------------------------------------------------------------


def test_csv_rows_batches_write_deterministic_parts(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, plan_job: Planner
) -> None:
    table = input_table(90)
    source = put(s3, data_uri("big.csv"), encode(table, ".csv"))
    prefix = output_prefix()
    planned = plan_job(data_s3_uri=source, output_s3_prefix=prefix, include_probabilities=True, output_format="jsonl")
    items = csv_items(get(s3, source))
    batches = [items[:50], items[50:]]
    answers = [
        handler.lambda_handler({"Items": batch, "BatchInput": planned["batch_input"]}, context) for batch in batches
    ]
    assert [answer["predictions_generated"] for answer in answers] == [50, 40]
    parts = [answer["outputs"][0] for answer in answers]
    assert all(part.startswith(prefix + "part-") and part.endswith(".jsonl") for part in parts)
    assert len(set(parts)) == 2
    # a retried batch rewrites its own part: still two parts
    retried = handler.lambda_handler({"Items": batches[0], "BatchInput": planned["batch_input"]}, context)
    assert retried["outputs"] == parts[:1]
    bucket, key_prefix = split(prefix)
    assert len(s3.list_objects_v2(Bucket=bucket, Prefix=key_prefix)["Contents"]) == 2
    output = pa.concat_tables([decode(get(s3, part), ".jsonl") for part in parts])
    assert output["id"].to_pylist() == table["id"].to_pylist()
    assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()
    probabilities = classifier.predict_proba(named_features(table))
    for index, label in enumerate(classifier.classes_):
        assert output[f"probability_{label}"].to_pylist() == pytest.approx(probabilities[:, index].tolist(), abs=1e-12)


def test_a_bad_row_fails_the_batch_with_validation_error(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, small_csv_job: tuple[str, str, dict[str, Any]]
) -> None:
    source, prefix, planned = small_csv_job
    items = csv_items(get(s3, source))
    items[3]["f2"] = "n/a"
    with pytest.raises(ValidationError, match="feature column 'f2' has no value in row of this batch 4"):
        handler.lambda_handler({"Items": items, "BatchInput": planned["batch_input"]}, context)
    bucket, key_prefix = split(prefix)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=key_prefix).get("Contents", []) == []


def test_s3_objects_batches_predict_each_object_to_its_relative_key(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, plan_job: Planner
) -> None:
    folder = data_uri("daily/")
    tables = {"2026/01.csv": input_table(12, seed=1), "2026/02.parquet": input_table(7, seed=2)}
    for relative, table in tables.items():
        put(s3, folder + relative, encode(table, "." + relative.rsplit(".", 1)[1]))
    put(s3, folder + "2026/", b"")  # a console "folder" marker
    prefix = output_prefix()
    planned = plan_job(data_s3_prefix=folder, output_s3_prefix=prefix)
    items = listed(s3, planned["data_bucket"], planned["data_prefix"])
    answer = handler.lambda_handler({"Items": items, "BatchInput": planned["batch_input"]}, context)
    assert answer == {"predictions_generated": 19, "outputs": [prefix + "2026/01.csv", prefix + "2026/02.parquet"]}
    for relative, table in tables.items():
        output = decode(get(s3, prefix + relative), "." + relative.rsplit(".", 1)[1])
        assert output["prediction"].to_pylist() == classifier.predict(named_features(table)).tolist()


def test_s3_objects_with_an_output_format_change_the_extension(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, plan_job: Planner
) -> None:
    folder = data_uri("daily/")
    put(s3, folder + "a.csv.gz", encode(input_table(4), ".csv.gz"))
    prefix = output_prefix()
    planned = plan_job(data_s3_prefix=folder, output_s3_prefix=prefix, output_format="parquet")
    items = listed(s3, planned["data_bucket"], planned["data_prefix"])
    answer = handler.lambda_handler({"Items": items, "BatchInput": planned["batch_input"]}, context)
    assert answer["outputs"] == [prefix + "a.parquet"]
    assert decode(get(s3, prefix + "a.parquet"), ".parquet").num_rows == 4


def test_a_fault_raises_internal_error_and_leaves_nothing(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, small_csv_job: tuple[str, str, dict[str, Any]]
) -> None:
    source, prefix, planned = small_csv_job

    def fail(**_: Any) -> None:
        raise ConnectionResetError("injected")

    handler.S3.meta.events.register("before-parameter-build.s3.CompleteMultipartUpload", fail)
    try:
        with pytest.raises(InternalError, match=f"request id {context.aws_request_id}"):
            handler.lambda_handler({"Items": csv_items(get(s3, source)), "BatchInput": planned["batch_input"]}, context)
    finally:
        handler.S3.meta.events.unregister("before-parameter-build.s3.CompleteMultipartUpload", fail)
    bucket, key_prefix = split(prefix)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=key_prefix).get("Contents", []) == []
    assert open_uploads(s3) == []


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"Items": "rows", "BatchInput": {}}, "'Items' must be an array"),
        ({"Items": [], "BatchInput": {"item_kind": "lines"}}, "item_kind must be one of"),
        ({"Items": [["a"]], "BatchInput": "PLANNED"}, r"Items\[0\] must be a CSV row as an object"),
    ],
)
def test_malformed_batches(
    handler: ModuleType,
    context: LocalLambdaContext,
    s3: Any,
    plan_job: Planner,
    event: dict[str, Any],
    expected: str,
) -> None:
    if event["BatchInput"] == "PLANNED":
        source = put(s3, data_uri("in.csv"), encode(input_table(5), ".csv"))
        event["BatchInput"] = plan_job(data_s3_uri=source, output_s3_prefix=output_prefix())["batch_input"]
    with pytest.raises(ValidationError, match=expected):
        handler.lambda_handler(event, context)

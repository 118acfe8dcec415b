"""Pure logic, no network: the configuration read at cold start (one ConfigError naming every
problem) and the parsing of each event kind into typed requests."""

from __future__ import annotations

from typing import Any

import pytest

from batch_predict.config import FunctionConfig
from batch_predict.events import MAP_BATCH, PLAN_JOB, S3_NOTIFICATION, event_kind
from batch_predict.formats import DataFormat
from batch_predict.requests import JobRequest, MapBatch, PlanRequest, PredictionOptions
from lambda_common.env import ConfigError
from lambda_common.errors import ValidationError
from lambda_common.events import HEALTH, KEEP_WARM, PREDICT
from lambda_common.s3_uri import S3Location, S3Object
from tests.support.config_errors import assert_names_every_problem, cold_start_error

VALID = {
    "MODEL_BUCKET": "models",
    "MODEL_PREFIX": "approved/",
    "DATA_BUCKET": "data",
    "DATA_PREFIX": "",
    "RESULTS_BUCKET": "results",
    "RESULTS_PREFIX": "out/",
}


def test_the_stacks_environment_is_read() -> None:
    config = FunctionConfig.from_environ(
        {
            **VALID,
            "TRUSTED_PICKLE_PREFIXES": "s3://models/pickles/, s3://legacy/",
            "TRIGGER_MODEL_S3_URI": "s3://models/approved/churn.onnx",
            "TRIGGER_FEATURE_COLUMNS": "a, b,c",
            "TRIGGER_PREDICTION_COLUMN": "churn",
            "BATCH_ROWS": "1000",
            "MULTIPART_PART_MB": "8",
            "MODEL_CACHE_SIZE": "4",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3538",
        },
        cpu_count=4,
    )
    assert config.model_location == S3Location(bucket="models", prefix="approved/")
    assert config.data_location == S3Location(bucket="data", prefix="")
    assert config.results_location == S3Location(bucket="results", prefix="out/")
    assert config.trusted_pickle_prefixes == (
        S3Location(bucket="models", prefix="pickles/"),
        S3Location(bucket="legacy", prefix=""),
    )
    assert config.trigger_model == S3Object(bucket="models", key="approved/churn.onnx")
    assert config.trigger_feature_columns == ("a", "b", "c")
    assert config.trigger_prediction_column == "churn"
    assert (config.batch_rows, config.part_bytes, config.model_cache_size) == (1000, 8 * 1024 * 1024, 4)
    assert config.intra_op_threads == 2  # the vCPUs of 3538 MB
    assert config.read_block_bytes == 64 * 1024  # 1000 rows x 16 bytes, floored


def test_defaults() -> None:
    config = FunctionConfig.from_environ(VALID, cpu_count=2)
    assert (config.batch_rows, config.multipart_part_mb, config.model_cache_size) == (32768, 8, 2)
    assert config.trusted_pickle_prefixes == () and config.trigger_model is None
    assert config.trigger_prediction_column == "prediction" and config.trigger_feature_columns is None
    assert config.read_block_bytes == 512 * 1024  # 32768 rows x 16 bytes
    assert (config.service_name, config.metrics_namespace) == ("batch-predict", "MlInference")


def test_every_problem_is_named_at_once() -> None:
    environment = {
        "MODEL_BUCKET": "Models_Bucket",
        "DATA_BUCKET": "data",
        "DATA_PREFIX": "incoming",
        "RESULTS_PREFIX": "out/",
        "TRUSTED_PICKLE_PREFIXES": "s3://models/pickles,not-a-uri",
        "TRIGGER_MODEL_S3_URI": "s3://data/model.pkl",
        "TRIGGER_FEATURE_COLUMNS": "a,,b",
        "BATCH_ROWS": "zero",
        "MULTIPART_PART_MB": "4",
        "MODEL_CACHE_SIZE": "0",
    }
    message = cold_start_error(FunctionConfig.from_environ, environment, cpu_count=2)
    assert message.startswith("invalid batch predictor configuration: ")
    problems = (
        "MODEL_BUCKET must be an S3 bucket name, got 'Models_Bucket'",
        "DATA_PREFIX must be empty or a key prefix ending with '/'",
        "RESULTS_BUCKET is required",
        "TRUSTED_PICKLE_PREFIXES: 's3://models/pickles' must end with '/'",
        "TRUSTED_PICKLE_PREFIXES: 'not-a-uri' is not an s3://bucket/prefix/ URI",
        "TRIGGER_FEATURE_COLUMNS must be comma-separated column names without empty entries",
        "BATCH_ROWS must be an integer",
        "MULTIPART_PART_MB must be within 5..1024, got 4",
        "MODEL_CACHE_SIZE must be within 1..32, got 0",
    )
    assert_names_every_problem(message, problems)


def test_the_trigger_model_must_be_loadable_from_where_it_is() -> None:
    with pytest.raises(ConfigError, match="TRIGGER_MODEL_S3_URI s3://models/approved/m.pkl is a joblib/pickle file"):
        FunctionConfig.from_environ({**VALID, "TRIGGER_MODEL_S3_URI": "s3://models/approved/m.pkl"}, cpu_count=1)
    with pytest.raises(ConfigError, match="TRIGGER_MODEL_S3_URI s3://data/m.onnx is outside"):
        FunctionConfig.from_environ({**VALID, "TRIGGER_MODEL_S3_URI": "s3://data/m.onnx"}, cpu_count=1)


def test_a_trigger_whose_outputs_would_trigger_it_again_is_refused() -> None:
    environment = {**VALID, "RESULTS_BUCKET": "data", "TRIGGER_MODEL_S3_URI": "s3://models/approved/m.onnx"}
    with pytest.raises(ConfigError, match="overlaps the data location"):
        FunctionConfig.from_environ(environment, cpu_count=1)
    # without a trigger, one bucket for data and results is fine
    assert (
        FunctionConfig.from_environ({**VALID, "RESULTS_BUCKET": "data"}, cpu_count=1).results_location.bucket == "data"
    )


# --- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"model_s3_uri": "s3://m/a.onnx"}, PREDICT),
        ({"action": "health"}, HEALTH),
        ({"action": "keep_warm"}, KEEP_WARM),
        ({"source": "aws.events", "detail-type": "Scheduled Event"}, KEEP_WARM),
        ({"action": "plan_job", "job": {}}, PLAN_JOB),
        ({"Items": [], "BatchInput": {}}, MAP_BATCH),
        ({"Records": [{"eventSource": "aws:s3"}]}, S3_NOTIFICATION),
        ({"Records": [{"eventSource": "aws:sqs"}]}, PREDICT),  # not ours: parsed (and refused) as a prediction
    ],
)
def test_event_kinds(event: dict[str, Any], kind: str) -> None:
    assert event_kind(event) == kind


DIRECT = {"model_s3_uri": "s3://mmm/a.onnx", "data_s3_uri": "s3://ddd/in.csv", "output_s3_uri": "s3://rrr/o.csv"}


def test_a_direct_request_with_defaults() -> None:
    request = JobRequest.from_event(DIRECT)
    assert request.model == S3Object(bucket="mmm", key="a.onnx")
    assert request.options == PredictionOptions(
        prediction_column="prediction", feature_columns=None, include_probabilities=False
    )
    assert request.overwrite is False


def test_a_direct_request_with_every_field() -> None:
    request = JobRequest.from_event(
        {
            **DIRECT,
            "model_s3_uri": " s3://mmm/a.onnx ",
            "prediction_column_name": "predicted_value",
            "feature_columns": ["feature1", "feature2"],
            "include_probabilities": True,
            "overwrite": True,
            "something_else": "ignored",
        }
    )
    assert request.options == PredictionOptions(
        prediction_column="predicted_value", feature_columns=("feature1", "feature2"), include_probabilities=True
    )
    assert request.overwrite is True and request.model.key == "a.onnx"


def test_a_plan_request_needs_exactly_one_data_source() -> None:
    base = {"model_s3_uri": "s3://mmm/a.onnx", "output_s3_prefix": "s3://rrr/out"}
    rows = PlanRequest.from_event({**base, "data_s3_uri": "s3://ddd/big.csv"})
    assert rows.data == S3Object(bucket="ddd", key="big.csv") and rows.data_prefix is None
    assert rows.output_prefix == S3Location(bucket="rrr", prefix="out/")  # the missing '/' is added
    objects = PlanRequest.from_event({**base, "data_s3_prefix": "s3://ddd/daily", "output_format": "parquet"})
    assert objects.data_prefix == S3Location(bucket="ddd", prefix="daily/") and objects.output_format == DataFormat(
        name="parquet"
    )
    for job in (base, {**base, "data_s3_uri": "s3://ddd/a.csv", "data_s3_prefix": "s3://ddd/"}):
        with pytest.raises(ValidationError, match="exactly one of 'data_s3_uri'"):
            PlanRequest.from_event(job)
    with pytest.raises(ValidationError, match="'job' must be the state machine input"):
        PlanRequest.from_event(None)


def test_a_map_batch_for_objects_takes_the_bucket_from_batch_input() -> None:
    batch_input = {
        "item_kind": "s3_objects",
        "model_s3_uri": "s3://mmm/a.onnx",
        "output_s3_prefix": "s3://rrr/out/",
        "data_bucket": "ddd",
        "data_prefix": "daily/",
        "output_format": None,
        "feature_columns": ["a"],
    }
    batch = MapBatch.from_event({"Items": [{"Key": "daily/x.csv"}], "BatchInput": batch_input})
    assert batch.data_prefix == S3Location(bucket="ddd", prefix="daily/") and batch.output_format is None
    batch = MapBatch.from_event(
        {"Items": [], "BatchInput": {**batch_input, "data_bucket": None, "data_prefix": "s3://ddd/x/"}}
    )
    assert batch.data_prefix == S3Location(bucket="ddd", prefix="x/")
    rows = MapBatch.from_event(
        {"Items": [], "BatchInput": {**batch_input, "item_kind": "csv_rows", "output_format": None}}
    )
    assert rows.output_format == DataFormat(name="csv") and rows.data_prefix is None

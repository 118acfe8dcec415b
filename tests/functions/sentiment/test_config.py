"""The environment model: defaults, validation at cold start, threads per memory size."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_common.env import ConfigError
from sentiment.config import FunctionConfig, S3Location
from tests.support.config_errors import assert_names_every_problem, cold_start_error


def test_defaults(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path)}, cpu_count=16)
    assert config == FunctionConfig(
        model_dir=tmp_path,
        model_s3=None,
        max_texts=256,
        max_text_chars=5000,
        max_request_bytes=5_000_000,
        batch_size=16,
        intra_op_threads=16,
        service_name="sentiment",
        metrics_namespace="MlInference",
    )
    assert config.model_source == str(tmp_path)


def test_every_variable_is_read(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ(
        {
            "MODEL_DIR": str(tmp_path),
            "MAX_TEXTS": "50",
            "MAX_TEXT_CHARS": "1000",
            "MAX_REQUEST_BYTES": "6291456",
            "BATCH_SIZE": " 8 ",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "4096",
            "POWERTOOLS_SERVICE_NAME": "sentiment-prod",
            "POWERTOOLS_METRICS_NAMESPACE": "Ml",
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            "AWS_LAMBDA_FUNCTION_VERSION": "12",
        },
        cpu_count=8,
    )
    assert (config.max_texts, config.max_text_chars, config.max_request_bytes, config.batch_size) == (
        50,
        1000,
        6291456,
        8,
    )
    assert config.intra_op_threads == 3
    assert (config.service_name, config.metrics_namespace) == ("sentiment-prod", "Ml")
    assert (config.function_name, config.function_version) == ("fn", "12")


def test_intra_op_threads_override(tmp_path: Path) -> None:
    environ = {"MODEL_DIR": str(tmp_path), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048", "INTRA_OP_THREADS": "1"}
    assert FunctionConfig.from_environ(environ, cpu_count=2).intra_op_threads == 1


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [
        ("s3://models/sentiment/v3/", "models", "sentiment/v3/"),
        ("s3://models/sentiment/v3", "models", "sentiment/v3/"),
        ("s3://my.models-bucket", "my.models-bucket", ""),
        ("s3://models/", "models", ""),
    ],
)
def test_model_s3_uri_replaces_model_dir(uri: str, bucket: str, prefix: str) -> None:
    config = FunctionConfig.from_environ({"MODEL_S3_URI": uri}, cpu_count=2)
    assert config.model_s3 == S3Location(bucket=bucket, prefix=prefix)
    assert config.model_s3.key("model.onnx") == f"{prefix}model.onnx"
    assert config.model_source == f"s3://{bucket}/{prefix}"


def test_every_problem_is_named_at_once() -> None:
    environ = {
        "MAX_TEXTS": "many",
        "MAX_TEXT_CHARS": "0",
        "MAX_REQUEST_BYTES": "7000000",
        "BATCH_SIZE": "-1",
        "INTRA_OP_THREADS": "0",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64",
    }
    message = cold_start_error(FunctionConfig.from_environ, environ, cpu_count=2)
    problems = (
        "set MODEL_DIR to the model directory",
        "MAX_TEXTS must be an integer within 1..10000, got 'many'",
        "MAX_TEXT_CHARS must be within 1..1000000, got 0",
        "MAX_REQUEST_BYTES must be within 2..6291456, got 7000000",
        "BATCH_SIZE must be within 1..1024, got -1",
        "INTRA_OP_THREADS must be within 1..64, got 0",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be within 128..10240, got 64",
    )
    assert_names_every_problem(message, problems)


def test_a_model_dir_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MODEL_DIR=.*is not an existing directory"):
        FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path / "nope")})


@pytest.mark.parametrize("uri", ["https://models.s3.amazonaws.com/x", "s3:/models/x", "s3://A_B/x", "models/x"])
def test_a_malformed_model_s3_uri_is_refused(uri: str) -> None:
    with pytest.raises(ConfigError, match="MODEL_S3_URI must look like s3://bucket/prefix/"):
        FunctionConfig.from_environ({"MODEL_S3_URI": uri})

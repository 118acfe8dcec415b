"""The environment model: defaults, validation at cold start, threads per memory size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checkbox.config import DEFAULT_MODEL_PATH, FunctionConfig, ModelObject
from lambda_common.env import ConfigError
from tests.support.checkbox import TINY_MODEL
from tests.support.config_errors import assert_names_every_problem, cold_start_error


def test_defaults() -> None:
    config = FunctionConfig.from_environ(
        {"MODEL_PATH": str(TINY_MODEL), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}, cpu_count=4
    )
    assert config == FunctionConfig(
        model_path=TINY_MODEL,
        max_image_pixels=40_000_000,
        max_pages=20,
        max_body_bytes=4_500_000,
        default_conf=0.25,
        default_iou=0.45,
        max_detections=300,
        intra_op_threads=2,  # 3008 MB buys 2 vCPUs
        service_name="checkbox",
        metrics_namespace="MlInference",
    )
    assert config.model_source == str(TINY_MODEL)


def test_the_default_body_limit_fits_lambdas_payload_once_base64_encoded() -> None:
    encoded = 4 * -(-FunctionConfig.max_body_bytes // 3)
    assert encoded <= 6 * 1024 * 1024 - 256 * 1024  # leaves >= 256 kB for headers and context


def test_every_variable_is_read() -> None:
    config = FunctionConfig.from_environ(
        {
            "MODEL_PATH": str(TINY_MODEL),
            "MAX_IMAGE_PIXELS": "10000000",
            "MAX_PAGES": "5",
            "MAX_BODY_BYTES": "1000000",
            "DEFAULT_CONF": "0.4",
            "DEFAULT_IOU": "0.6",
            "MAX_DETECTIONS": "50",
            "INTRA_OP_THREADS": "3",
            "POWERTOOLS_SERVICE_NAME": "boxes",
            "POWERTOOLS_METRICS_NAMESPACE": "Forms",
            "AWS_LAMBDA_FUNCTION_NAME": "checkbox-prod",
            "AWS_LAMBDA_FUNCTION_VERSION": "12",
        },
        cpu_count=2,
    )
    assert (config.max_image_pixels, config.max_pages, config.max_body_bytes) == (10_000_000, 5, 1_000_000)
    assert (config.default_conf, config.default_iou, config.max_detections) == (0.4, 0.6, 50)
    assert (config.intra_op_threads, config.service_name, config.metrics_namespace) == (3, "boxes", "Forms")
    assert (config.function_name, config.function_version) == ("checkbox-prod", "12")


def test_model_s3_uri_wins_over_the_baked_in_path() -> None:
    config = FunctionConfig.from_environ(
        {"MODEL_S3_URI": "s3://my-models/checkbox/v3/best.onnx", "MODEL_PATH": "/nowhere.onnx"}
    )
    assert config.model_s3 == ModelObject(bucket="my-models", key="checkbox/v3/best.onnx")
    assert config.model_s3.labels_key == "checkbox/v3/labels.json"
    assert config.model_source == "s3://my-models/checkbox/v3/best.onnx"
    assert ModelObject.parse("s3://my-models/model.onnx").labels_key == "labels.json"


def test_without_model_path_the_images_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=f"MODEL_PATH='{DEFAULT_MODEL_PATH}' is not a file"):
        FunctionConfig.from_environ({})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MODEL_PATH", "/no/such/model.onnx", "MODEL_PATH='/no/such/model.onnx' is not a file"),
        ("MODEL_S3_URI", "s3://bucket/prefix/", "MODEL_S3_URI must look like s3://bucket/path/model.onnx"),
        ("MODEL_S3_URI", "https://bucket.s3.amazonaws.com/model.onnx", "MODEL_S3_URI must look like"),
        ("MAX_IMAGE_PIXELS", "lots", "MAX_IMAGE_PIXELS must be an integer within 1..500000000, got 'lots'"),
        ("MAX_PAGES", "0", "MAX_PAGES must be within 1..1000, got 0"),
        ("MAX_BODY_BYTES", "7000000", "MAX_BODY_BYTES must be within 1..6291456, got 7000000"),
        ("DEFAULT_CONF", "1", "DEFAULT_CONF must be strictly between 0 and 1, got 1"),
        ("DEFAULT_IOU", "half", "DEFAULT_IOU must be a number strictly between 0 and 1, got 'half'"),
        ("MAX_DETECTIONS", "0", "MAX_DETECTIONS must be within 1..100000"),
        ("INTRA_OP_THREADS", "0", "INTRA_OP_THREADS must be within 1..64"),
    ],
)
def test_bad_values_stop_the_cold_start(variable: str, value: str, message: str) -> None:
    environment = {"MODEL_PATH": str(TINY_MODEL), variable: value}
    with pytest.raises(ConfigError, match=re.escape(message)):
        FunctionConfig.from_environ(environment)


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    wrong = {"MODEL_PATH": str(tmp_path / "x.onnx"), "MAX_PAGES": "-1", "DEFAULT_CONF": "2"}
    assert_names_every_problem(cold_start_error(FunctionConfig.from_environ, wrong), wrong.keys())  # each variable

"""FunctionConfig: environment variables validated once, with errors that say what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from mask_predictor.config import (
    ENV_LOG_LEVEL,
    ENV_MAX_BATCH_NAMES,
    ENV_MAX_NAME_CHARS,
    ENV_MAX_REQUEST_BYTES,
    ENV_METRICS_NAMESPACE,
    ENV_MODEL_DIR,
    ENV_SERVICE_NAME,
    ConfigError,
    FunctionConfig,
)
from tests.support.config_errors import assert_names_every_problem, cold_start_error


def test_defaults_with_only_model_dir(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path)})

    assert config == FunctionConfig(
        model_dir=str(tmp_path),
        max_batch_names=1000,
        max_name_chars=200,
        max_request_bytes=262_144,
        service_name="mask_predictor",
        metrics_namespace="MlInference",
        log_level="INFO",
    )


def test_every_variable_is_read(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ(
        {
            ENV_MODEL_DIR: str(tmp_path),
            ENV_MAX_BATCH_NAMES: "50",
            ENV_MAX_NAME_CHARS: "120",
            ENV_MAX_REQUEST_BYTES: "65536",
            ENV_SERVICE_NAME: "masks",
            ENV_METRICS_NAMESPACE: "Team/Masks",
            ENV_LOG_LEVEL: "debug",
        }
    )

    assert (config.max_batch_names, config.max_name_chars, config.max_request_bytes) == (50, 120, 65536)
    assert (config.service_name, config.metrics_namespace, config.log_level) == ("masks", "Team/Masks", "DEBUG")


def test_env_var_names_are_the_documented_ones() -> None:
    assert (ENV_MODEL_DIR, ENV_MAX_BATCH_NAMES, ENV_MAX_NAME_CHARS, ENV_MAX_REQUEST_BYTES) == (
        "MODEL_DIR",
        "MAX_BATCH_NAMES",
        "MAX_NAME_CHARS",
        "MAX_REQUEST_BYTES",
    )
    assert (ENV_SERVICE_NAME, ENV_METRICS_NAMESPACE, ENV_LOG_LEVEL) == (
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
    )


def test_config_is_frozen(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        config.max_batch_names = 5


def test_missing_model_dir_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"MODEL_DIR is not set.*mask_crf\.crfsuite"):
        FunctionConfig.from_environ({})


def test_model_dir_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match=f"MODEL_DIR='{missing}' is not an existing directory"):
        FunctionConfig.from_environ({"MODEL_DIR": str(missing)})


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
@pytest.mark.parametrize("variable", [ENV_MAX_BATCH_NAMES, ENV_MAX_NAME_CHARS, ENV_MAX_REQUEST_BYTES])
def test_limits_must_be_positive_integers(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{variable} must be a positive integer, got"):
        FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path), variable: value})


def test_log_level_must_be_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"):
        FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path), "LOG_LEVEL": "loud"})


def test_all_problems_are_reported_at_once() -> None:
    message = cold_start_error(FunctionConfig.from_environ, {"MAX_BATCH_NAMES": "many", "LOG_LEVEL": "LOUD"})

    assert_names_every_problem(message, ("MODEL_DIR", "MAX_BATCH_NAMES", "LOG_LEVEL"))


def test_empty_values_mean_defaults(tmp_path: Path) -> None:
    config = FunctionConfig.from_environ({"MODEL_DIR": str(tmp_path), "MAX_BATCH_NAMES": "", "LOG_LEVEL": ""})

    assert config.max_batch_names == 1000 and config.log_level == "INFO"

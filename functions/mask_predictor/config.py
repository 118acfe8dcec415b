"""The function's configuration: every environment variable it reads, validated once at cold start.

Environment variables (the stack must use these names; it cannot import function code).
The ENV_* constants below hold the same names for code in this package:

| variable                     | default        | meaning                                                  |
|------------------------------|----------------|----------------------------------------------------------|
| MODEL_DIR                    | (required)     | directory holding mask_crf.crfsuite + model.json         |
|                              |                | (in Lambda: the model layer, /opt/mask_predictor_model)  |
| MAX_BATCH_NAMES              | 1000           | most names accepted in one `mask_names` request          |
| MAX_NAME_CHARS               | 200            | longest name accepted, in characters                     |
| MAX_REQUEST_BYTES            | 262144         | largest request: HTTP body bytes, or the UTF-8 size of   |
|                              |                | a direct invoke event encoded as compact JSON            |
| POWERTOOLS_SERVICE_NAME      | mask_predictor | logger name and the `service` metric dimension           |
| POWERTOOLS_METRICS_NAMESPACE | MlInference    | CloudWatch namespace of the custom metrics               |
| LOG_LEVEL                    | INFO           | DEBUG, INFO, WARNING, ERROR or CRITICAL                  |

Read too, but set by Lambda itself: AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION
(health checks report them when the invocation context does not say).

The two POWERTOOLS_* names are kept so the stack configures this function like the others,
although the function does not use Powertools (see metrics.py).
A bad value stops the cold start with one ConfigError naming every problem, rather than
failing later on a request.
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Mapping

from lambda_common.env import (
    ENV_FUNCTION_NAME,
    ENV_FUNCTION_VERSION,
    ENV_METRICS_NAMESPACE,
    ENV_SERVICE_NAME,
    ConfigError,
    EnvReader,
    function_identity,
)

ENV_MODEL_DIR = "MODEL_DIR"
ENV_MAX_BATCH_NAMES = "MAX_BATCH_NAMES"
ENV_MAX_NAME_CHARS = "MAX_NAME_CHARS"
ENV_MAX_REQUEST_BYTES = "MAX_REQUEST_BYTES"
ENV_LOG_LEVEL = "LOG_LEVEL"

# Every variable's name (these from lambda_common.env, shared with the other functions), and
# ConfigError, what from_environ raises (also lambda_common.env's).
__all__ = [
    "ENV_FUNCTION_NAME",
    "ENV_FUNCTION_VERSION",
    "ENV_LOG_LEVEL",
    "ENV_MAX_BATCH_NAMES",
    "ENV_MAX_NAME_CHARS",
    "ENV_MAX_REQUEST_BYTES",
    "ENV_METRICS_NAMESPACE",
    "ENV_MODEL_DIR",
    "ENV_SERVICE_NAME",
    "LOG_LEVELS",
    "ConfigError",
    "FunctionConfig",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# An immutable record without `dataclasses`, whose import of `inspect` costs ~5 ms of cold start.
_FunctionConfigFields = namedtuple(
    "_FunctionConfigFields",
    (
        "model_dir",
        "max_batch_names",
        "max_name_chars",
        "max_request_bytes",
        "service_name",
        "metrics_namespace",
        "log_level",
        "function_name",
        "function_version",
    ),
    defaults=(1000, 200, 262_144, "mask_predictor", "MlInference", "INFO", None, None),
)


class FunctionConfig(_FunctionConfigFields):
    """model_dir: str; max_batch_names, max_name_chars, max_request_bytes: int;
    service_name, metrics_namespace, log_level: str; function_name, function_version: str | None."""

    __slots__ = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FunctionConfig:
        env = EnvReader(environ)
        defaults = cls._field_defaults
        model_dir = environ.get(ENV_MODEL_DIR, "").strip()
        if not model_dir:
            env.problems.append(
                f"{ENV_MODEL_DIR} is not set: set it to the directory holding mask_crf.crfsuite and"
                " model.json (in Lambda, the model layer's folder under /opt)"
            )
        elif not os.path.isdir(model_dir):
            env.problems.append(f"{ENV_MODEL_DIR}={model_dir!r} is not an existing directory")

        log_level = env.text(ENV_LOG_LEVEL, defaults["log_level"]).upper()
        if log_level not in LOG_LEVELS:
            env.problems.append(f"{ENV_LOG_LEVEL} must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

        config = cls(
            model_dir=model_dir,
            max_batch_names=env.positive_integer(ENV_MAX_BATCH_NAMES, defaults["max_batch_names"]),
            max_name_chars=env.positive_integer(ENV_MAX_NAME_CHARS, defaults["max_name_chars"]),
            max_request_bytes=env.positive_integer(ENV_MAX_REQUEST_BYTES, defaults["max_request_bytes"]),
            log_level=log_level,
            **function_identity(
                env, service_name=defaults["service_name"], metrics_namespace=defaults["metrics_namespace"]
            ),
        )
        env.raise_problems("invalid function configuration")
        return config

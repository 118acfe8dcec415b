"""The function's configuration: every environment variable it reads, validated once at cold start.

Environment variables (the stack must use these names; it cannot import function code).
The ENV_* constants below hold the same names for code in this package:

| variable                     | default      | meaning                                                     |
|------------------------------|--------------|-------------------------------------------------------------|
| MODEL_DIR                    | (see below)  | model directory (model.onnx, tokenizer.json, labels.json,   |
|                              |              | model.json); the image sets /var/task/sentiment_model       |
| MODEL_S3_URI                 | (unset)      | s3://bucket/prefix/ holding the same four files: downloaded |
|                              |              | to /tmp once per cold start and used instead of MODEL_DIR   |
| MAX_TEXTS                    | 256          | most texts accepted in one request                          |
| MAX_TEXT_CHARS               | 5000         | longest text accepted, in characters                        |
| MAX_REQUEST_BYTES            | 5000000      | largest request: HTTP body bytes, or the UTF-8 size of a    |
|                              |              | direct invoke event as compact JSON (Lambda's limit: 6 MB)  |
| BATCH_SIZE                   | 16           | texts per onnxruntime run (texts are grouped by length)     |
| INTRA_OP_THREADS             | (computed)   | onnxruntime intra-op threads; by default the vCPUs Lambda   |
|                              |              | gives the function's memory (see session_threads)           |
| POWERTOOLS_SERVICE_NAME      | sentiment    | logger service and the `service` metric dimension           |
| POWERTOOLS_METRICS_NAMESPACE | MlInference  | CloudWatch namespace of the custom metrics                  |

One of MODEL_DIR and MODEL_S3_URI is required. Read too, but set by Lambda itself:
AWS_LAMBDA_FUNCTION_MEMORY_SIZE (thread count), AWS_LAMBDA_FUNCTION_NAME and
AWS_LAMBDA_FUNCTION_VERSION (health checks report them when the context does not say).
A bad value stops the cold start with one ConfigError naming every problem, rather than
failing later on a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lambda_common.env import LAMBDA_PAYLOAD_LIMIT_BYTES, EnvReader, configured_threads, function_identity
from lambda_common.function_config import BaseFunctionConfig
from lambda_common.s3_uri import S3Location

ENV_MODEL_DIR = "MODEL_DIR"
ENV_MODEL_S3_URI = "MODEL_S3_URI"
ENV_MAX_TEXTS = "MAX_TEXTS"
ENV_MAX_TEXT_CHARS = "MAX_TEXT_CHARS"
ENV_MAX_REQUEST_BYTES = "MAX_REQUEST_BYTES"
ENV_BATCH_SIZE = "BATCH_SIZE"
# The fields that limit a request, as health checks name them.
REQUEST_LIMITS = ("max_texts", "max_text_chars", "max_request_bytes")


@dataclass(frozen=True, kw_only=True)
class FunctionConfig(BaseFunctionConfig):
    model_dir: Path | None
    model_s3: S3Location | None = None
    max_texts: int = 256
    max_text_chars: int = 5000
    max_request_bytes: int = 5_000_000
    batch_size: int = 16
    service_name: str = "sentiment"  # and intra_op_threads, metrics_namespace, function_name, function_version

    @property
    def model_source(self) -> str:
        """Where the model comes from, for logs and health checks."""
        return self.model_s3.uri if self.model_s3 is not None else str(self.model_dir)

    def request_limits(self) -> dict[str, int]:
        """What a health check reports of the limits every request is checked against."""
        return {name: getattr(self, name) for name in REQUEST_LIMITS}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cpu_count: int | None = None) -> FunctionConfig:
        env = EnvReader(environ)

        model_s3, s3_text = env.s3_uri(
            ENV_MODEL_S3_URI, lambda text: S3Location.parse(text, require_slash=False), "s3://bucket/prefix/"
        )

        model_dir_text = environ.get(ENV_MODEL_DIR, "").strip()
        model_dir = Path(model_dir_text) if model_dir_text else None
        if not s3_text:
            if model_dir is None:
                env.problems.append(
                    f"set {ENV_MODEL_DIR} to the model directory (model.onnx, tokenizer.json,"
                    f" labels.json, model.json) or {ENV_MODEL_S3_URI} to an s3:// prefix holding them"
                )
            elif not model_dir.is_dir():
                env.problems.append(f"{ENV_MODEL_DIR}={model_dir_text!r} is not an existing directory")

        threads = configured_threads(env, cpu_count=cpu_count)
        config = cls(
            model_dir=model_dir,
            model_s3=model_s3,
            max_texts=env.integer(ENV_MAX_TEXTS, cls.max_texts, low=1, high=10_000),
            max_text_chars=env.integer(ENV_MAX_TEXT_CHARS, cls.max_text_chars, low=1, high=1_000_000),
            max_request_bytes=env.integer(
                ENV_MAX_REQUEST_BYTES, cls.max_request_bytes, low=2, high=LAMBDA_PAYLOAD_LIMIT_BYTES
            ),
            batch_size=env.integer(ENV_BATCH_SIZE, cls.batch_size, low=1, high=1024),
            intra_op_threads=threads,
            **function_identity(env, service_name=cls.service_name, metrics_namespace=cls.metrics_namespace),
        )
        env.raise_problems("invalid sentiment function configuration")
        return config

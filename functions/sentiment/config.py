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

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sentiment.errors import ConfigError

ENV_MODEL_DIR = "MODEL_DIR"
ENV_MODEL_S3_URI = "MODEL_S3_URI"
ENV_MAX_TEXTS = "MAX_TEXTS"
ENV_MAX_TEXT_CHARS = "MAX_TEXT_CHARS"
ENV_MAX_REQUEST_BYTES = "MAX_REQUEST_BYTES"
ENV_BATCH_SIZE = "BATCH_SIZE"
ENV_INTRA_OP_THREADS = "INTRA_OP_THREADS"
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
ENV_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
ENV_FUNCTION_VERSION = "AWS_LAMBDA_FUNCTION_VERSION"

# Lambda allocates CPU in proportion to memory: one vCPU's worth at 1769 MB, at most 6 vCPUs.
MB_PER_VCPU = 1769
MAX_LAMBDA_VCPUS = 6
# Lambda's synchronous invoke payload limit; a larger MAX_REQUEST_BYTES could never apply.
LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024

_S3_URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?")


def lambda_vcpus(memory_mb: int) -> int:
    """The vCPUs Lambda gives a function with `memory_mb` of memory: ceil(memory / 1769), 1..6."""
    return max(1, min(MAX_LAMBDA_VCPUS, math.ceil(memory_mb / MB_PER_VCPU)))


def session_threads(*, memory_mb: int | None, cpu_count: int | None, override: int | None = None) -> int:
    """onnxruntime intra-op threads: the override if set, else the vCPUs the memory buys (all
    CPUs when not in Lambda), never more than the CPUs this process can see."""
    if override is not None:
        return override
    available = cpu_count if cpu_count and cpu_count > 0 else 1
    wanted = lambda_vcpus(memory_mb) if memory_mb else available
    return max(1, min(wanted, available))


@dataclass(frozen=True, kw_only=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        match = _S3_URI.fullmatch(uri.strip())
        if match is None:
            raise ValueError(f"{uri!r} is not an s3://bucket/prefix/ URI")
        prefix = (match.group("prefix") or "").strip("/")
        return cls(bucket=match.group("bucket"), prefix=f"{prefix}/" if prefix else "")

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    model_dir: Path | None
    model_s3: S3Location | None = None
    max_texts: int = 256
    max_text_chars: int = 5000
    max_request_bytes: int = 5_000_000
    batch_size: int = 16
    intra_op_threads: int = 1
    service_name: str = "sentiment"
    metrics_namespace: str = "MlInference"
    function_name: str | None = None
    function_version: str | None = None

    @property
    def model_source(self) -> str:
        """Where the model comes from, for logs and health checks."""
        return self.model_s3.uri if self.model_s3 is not None else str(self.model_dir)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cpu_count: int | None = None) -> FunctionConfig:
        problems: list[str] = []

        def integer(variable: str, default: int | None, *, low: int, high: int) -> int | None:
            raw = environ.get(variable, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{variable} must be an integer within {low}..{high}, got {raw!r}")
                return default
            if not low <= value <= high:
                problems.append(f"{variable} must be within {low}..{high}, got {value}")
            return value

        def text(variable: str, default: str) -> str:
            return environ.get(variable, "").strip() or default

        model_s3 = None
        s3_text = environ.get(ENV_MODEL_S3_URI, "").strip()
        if s3_text:
            try:
                model_s3 = S3Location.parse(s3_text)
            except ValueError:
                problems.append(f"{ENV_MODEL_S3_URI} must look like s3://bucket/prefix/, got {s3_text!r}")

        model_dir_text = environ.get(ENV_MODEL_DIR, "").strip()
        model_dir = Path(model_dir_text) if model_dir_text else None
        if not s3_text:
            if model_dir is None:
                problems.append(
                    f"set {ENV_MODEL_DIR} to the model directory (model.onnx, tokenizer.json,"
                    f" labels.json, model.json) or {ENV_MODEL_S3_URI} to an s3:// prefix holding them"
                )
            elif not model_dir.is_dir():
                problems.append(f"{ENV_MODEL_DIR}={model_dir_text!r} is not an existing directory")

        memory_mb = integer(ENV_MEMORY_SIZE, None, low=128, high=10240)
        override = integer(ENV_INTRA_OP_THREADS, None, low=1, high=64)
        config = cls(
            model_dir=model_dir,
            model_s3=model_s3,
            max_texts=integer(ENV_MAX_TEXTS, cls.max_texts, low=1, high=10_000),
            max_text_chars=integer(ENV_MAX_TEXT_CHARS, cls.max_text_chars, low=1, high=1_000_000),
            max_request_bytes=integer(
                ENV_MAX_REQUEST_BYTES, cls.max_request_bytes, low=2, high=LAMBDA_PAYLOAD_LIMIT_BYTES
            ),
            batch_size=integer(ENV_BATCH_SIZE, cls.batch_size, low=1, high=1024),
            intra_op_threads=session_threads(
                memory_mb=memory_mb,
                cpu_count=cpu_count if cpu_count is not None else os.cpu_count(),
                override=override,
            ),
            service_name=text(ENV_SERVICE_NAME, cls.service_name),
            metrics_namespace=text(ENV_METRICS_NAMESPACE, cls.metrics_namespace),
            function_name=environ.get(ENV_FUNCTION_NAME) or None,
            function_version=environ.get(ENV_FUNCTION_VERSION) or None,
        )  # type: ignore[arg-type]  # integer() returns the int default whenever one is given
        if problems:
            raise ConfigError("invalid sentiment function configuration: " + "; ".join(problems))
        return config

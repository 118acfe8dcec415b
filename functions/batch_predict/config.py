"""The function's configuration: every environment variable it reads, validated once at cold start.

Environment variables (the stack must use these names; it cannot import function code):

| variable                     | default       | meaning                                                  |
|------------------------------|---------------|----------------------------------------------------------|
| MODEL_BUCKET, MODEL_PREFIX   | (required), ""| where .skops and .onnx models may come from              |
| DATA_BUCKET, DATA_PREFIX     | (required), ""| where input data may come from                           |
| RESULTS_BUCKET,              | (required), ""| where outputs may be written                             |
| RESULTS_PREFIX               |               |                                                          |
| TRUSTED_PICKLE_PREFIXES      | "" (none)     | comma-separated s3://bucket/prefix/: the only places     |
|                              |               | .joblib/.pkl/.pickle models are loaded from              |
| TRIGGER_MODEL_S3_URI         | (unset)       | model for S3 notifications (objects under DATA_PREFIX)   |
| TRIGGER_FEATURE_COLUMNS      | (model's)     | comma-separated feature columns for S3 notifications     |
| TRIGGER_PREDICTION_COLUMN    | prediction    | prediction column for S3 notifications                   |
| BATCH_ROWS                   | 32768         | most rows per record batch (per model call)              |
| MULTIPART_PART_MB            | 8             | multipart upload part size, MiB (5..1024)                |
| MODEL_CACHE_SIZE             | 2             | models kept while warm, keyed by (URI, ETag) (1..32)     |
| INTRA_OP_THREADS             | (computed)    | onnxruntime threads; default: the vCPUs of the memory    |
| POWERTOOLS_SERVICE_NAME      | batch-predict | logger service and the `service` metric dimension        |
| POWERTOOLS_METRICS_NAMESPACE | MlInference   | CloudWatch namespace of the custom metrics               |

Prefixes are "" (the whole bucket) or end with "/". S3 itself is configured by the standard
variables boto3 reads (AWS_ENDPOINT_URL_S3, AWS_REGION, credentials). Read too, but set by
Lambda: AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION.
A bad value stops the cold start with one ConfigError naming every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from batch_predict.model_policy import model_kind, require_trusted_source
from lambda_common.env import EnvReader, configured_threads, function_identity
from lambda_common.errors import ValidationError
from lambda_common.function_config import BaseFunctionConfig
from lambda_common.s3_uri import S3Location, S3Object, S3UriError, is_bucket_name

ENV_MODEL_BUCKET = "MODEL_BUCKET"
ENV_MODEL_PREFIX = "MODEL_PREFIX"
ENV_DATA_BUCKET = "DATA_BUCKET"
ENV_DATA_PREFIX = "DATA_PREFIX"
ENV_RESULTS_BUCKET = "RESULTS_BUCKET"
ENV_RESULTS_PREFIX = "RESULTS_PREFIX"
ENV_TRUSTED_PICKLE_PREFIXES = "TRUSTED_PICKLE_PREFIXES"
ENV_TRIGGER_MODEL_S3_URI = "TRIGGER_MODEL_S3_URI"
ENV_TRIGGER_FEATURE_COLUMNS = "TRIGGER_FEATURE_COLUMNS"
ENV_TRIGGER_PREDICTION_COLUMN = "TRIGGER_PREDICTION_COLUMN"
ENV_BATCH_ROWS = "BATCH_ROWS"
ENV_MULTIPART_PART_MB = "MULTIPART_PART_MB"
ENV_MODEL_CACHE_SIZE = "MODEL_CACHE_SIZE"

DEFAULT_PREDICTION_COLUMN = "prediction"
MIB = 1024 * 1024
# S3: every part but the last must be at least 5 MiB.
MIN_PART_MB = 5
# CSV and JSON are read in blocks of bytes, not rows: BATCH_ROWS x this many bytes, within these
# bounds (1 MiB at the default BATCH_ROWS, pyarrow's own default). pyarrow reads up to ~32
# blocks ahead while the model works, so the block size bounds the input's share of memory;
# and a JSON reader infers the types of undeclared columns from its first block, so that
# block should not be tiny either.
READ_BYTES_PER_ROW = 16
MIN_READ_BLOCK_BYTES = 64 * 1024
MAX_READ_BLOCK_BYTES = 4 * MIB


@dataclass(frozen=True, kw_only=True)
class FunctionConfig(BaseFunctionConfig):
    model_location: S3Location
    data_location: S3Location
    results_location: S3Location
    trusted_pickle_prefixes: tuple[S3Location, ...] = ()
    trigger_model: S3Object | None = None
    trigger_feature_columns: tuple[str, ...] | None = None
    trigger_prediction_column: str = DEFAULT_PREDICTION_COLUMN
    batch_rows: int = 32768
    multipart_part_mb: int = 8
    model_cache_size: int = 2
    service_name: str = "batch-predict"  # and intra_op_threads, metrics_namespace, function_name, function_version

    @property
    def part_bytes(self) -> int:
        return self.multipart_part_mb * MIB

    @property
    def read_block_bytes(self) -> int:
        return max(MIN_READ_BLOCK_BYTES, min(MAX_READ_BLOCK_BYTES, self.batch_rows * READ_BYTES_PER_ROW))

    def describe(self) -> dict[str, object]:
        """What health checks and the cold-start log report (no secrets here: locations only)."""
        return {
            "model_location": self.model_location.uri,
            "data_location": self.data_location.uri,
            "results_location": self.results_location.uri,
            "trusted_pickle_prefixes": [prefix.uri for prefix in self.trusted_pickle_prefixes],
            "trigger_model_s3_uri": self.trigger_model.uri if self.trigger_model else None,
            "batch_rows": self.batch_rows,
            "multipart_part_mb": self.multipart_part_mb,
            "model_cache_size": self.model_cache_size,
            "intra_op_threads": self.intra_op_threads,
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cpu_count: int | None = None) -> FunctionConfig:
        env = EnvReader(environ)
        model_location = _location(env, ENV_MODEL_BUCKET, ENV_MODEL_PREFIX)
        data_location = _location(env, ENV_DATA_BUCKET, ENV_DATA_PREFIX)
        results_location = _location(env, ENV_RESULTS_BUCKET, ENV_RESULTS_PREFIX)
        trusted = _trusted_prefixes(env)

        trigger_model = None
        trigger_text = environ.get(ENV_TRIGGER_MODEL_S3_URI, "").strip()
        if trigger_text:
            try:
                trigger_model = S3Object.parse(trigger_text)
                kind = model_kind(trigger_model, field=ENV_TRIGGER_MODEL_S3_URI)
                if model_location is not None:
                    require_trusted_source(
                        trigger_model,
                        kind=kind,
                        model_location=model_location,
                        trusted_pickle_prefixes=trusted,
                        field=ENV_TRIGGER_MODEL_S3_URI,
                    )
            except S3UriError as error:
                env.problems.append(f"{ENV_TRIGGER_MODEL_S3_URI}: {error}")
            except ValidationError as error:
                env.problems.append(error.message)
            if data_location is not None and results_location is not None and data_location.overlaps(results_location):
                # Each output would be a new object under the data prefix: a notification loop.
                env.problems.append(
                    f"the results location {results_location.uri} overlaps the data location {data_location.uri}:"
                    f" with {ENV_TRIGGER_MODEL_S3_URI} set, every output would trigger another prediction"
                )

        trigger_columns = _column_list(env, ENV_TRIGGER_FEATURE_COLUMNS)
        threads = configured_threads(env, cpu_count=cpu_count)
        batch_rows = env.integer(ENV_BATCH_ROWS, cls.batch_rows, low=1, high=1_048_576)
        part_mb = env.integer(ENV_MULTIPART_PART_MB, cls.multipart_part_mb, low=MIN_PART_MB, high=1024)
        cache_size = env.integer(ENV_MODEL_CACHE_SIZE, cls.model_cache_size, low=1, high=32)
        env.raise_problems("invalid batch predictor configuration")
        assert model_location and data_location and results_location  # a None was a recorded problem
        return cls(
            model_location=model_location,
            data_location=data_location,
            results_location=results_location,
            trusted_pickle_prefixes=trusted,
            trigger_model=trigger_model,
            trigger_feature_columns=trigger_columns,
            trigger_prediction_column=env.text(ENV_TRIGGER_PREDICTION_COLUMN, DEFAULT_PREDICTION_COLUMN),
            batch_rows=batch_rows,
            multipart_part_mb=part_mb,
            model_cache_size=cache_size,
            intra_op_threads=threads,
            **function_identity(env, service_name=cls.service_name, metrics_namespace=cls.metrics_namespace),
        )


def _location(env: EnvReader, bucket_variable: str, prefix_variable: str) -> S3Location | None:
    bucket = env.environ.get(bucket_variable, "").strip()
    prefix = env.environ.get(prefix_variable, "").strip()
    problems_before = len(env.problems)
    if not bucket:
        env.problems.append(f"{bucket_variable} is required (a bucket name)")
    elif not is_bucket_name(bucket):
        env.problems.append(f"{bucket_variable} must be an S3 bucket name, got {bucket!r}")
    if prefix and (not prefix.endswith("/") or prefix.startswith("/") or "//" in prefix):
        env.problems.append(
            f"{prefix_variable} must be empty or a key prefix ending with '/' (no leading '/'), got {prefix!r}"
        )
    if len(env.problems) > problems_before:
        return None
    return S3Location(bucket=bucket, prefix=prefix)


def _trusted_prefixes(env: EnvReader) -> tuple[S3Location, ...]:
    found = []
    for item in env.environ.get(ENV_TRUSTED_PICKLE_PREFIXES, "").split(","):
        if not item.strip():
            continue
        try:
            found.append(S3Location.parse(item.strip()))
        except S3UriError as error:
            env.problems.append(f"{ENV_TRUSTED_PICKLE_PREFIXES}: {error}")
    return tuple(found)


def _column_list(env: EnvReader, variable: str) -> tuple[str, ...] | None:
    raw = env.environ.get(variable, "").strip()
    if not raw:
        return None
    columns = tuple(column.strip() for column in raw.split(","))
    if any(not column for column in columns):
        env.problems.append(f"{variable} must be comma-separated column names without empty entries, got {raw!r}")
    elif len(set(columns)) != len(columns):
        env.problems.append(f"{variable} names a column twice: {raw!r}")
    return columns

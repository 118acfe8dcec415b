"""The batch predictor's settings: where models, data and results live, the S3 trigger, the
Step Functions job."""

from __future__ import annotations

from dataclasses import dataclass, field

from stacks.naming import check_bucket_name, check_prefix, split_s3_uri_prefix
from stacks.schema.base import SettingsError, check_async_bounds
from stacks.schema.function import FunctionSettings


@dataclass(frozen=True, kw_only=True)
class BucketLocation:
    """Where one kind of object lives: under `prefix` in a bucket the stack creates
    (`bucket_name=None`), or in an existing bucket named here (imported by name, never looked up)."""

    prefix: str
    bucket_name: str | None = None

    def __post_init__(self) -> None:
        check_prefix("prefix", self.prefix)
        if self.bucket_name is not None:
            check_bucket_name("bucket_name", self.bucket_name)

    def overlaps(self, other: BucketLocation) -> bool:
        """True when both name the same existing bucket and one prefix contains the other."""
        return (
            self.bucket_name is not None
            and self.bucket_name == other.bucket_name
            and (self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix))
        )


@dataclass(frozen=True, kw_only=True)
class S3TriggerSettings:
    """Opt-in: every object created under the data prefix (with one of `suffixes`) is predicted
    with one model, asynchronously, into the results prefix (same relative key)."""

    # The model's key relative to the model prefix, e.g. "churn/v3/model.skops": the trigger can
    # only name a model the function may load anyway.
    model_key: str
    # Empty: the model's own feature names (skops/joblib models fitted on named columns).
    feature_columns: tuple[str, ...] = ()
    prediction_column: str = "prediction"
    # One S3 notification per suffix (same prefix): the extensions the function reads.
    suffixes: tuple[str, ...] = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".parquet")
    # Lambda's own retries of a failed asynchronous event (0..2), then the failure queue.
    retry_attempts: int = 2
    # An event still waiting after this long (throttling) goes to the failure queue too (60..21600 s).
    max_event_age_seconds: int = 6 * 3600

    def __post_init__(self) -> None:
        if not self.model_key or self.model_key.startswith(("/", "s3://")) or self.model_key.endswith("/"):
            raise SettingsError(f"model_key must be an object key relative to the model prefix, got {self.model_key!r}")
        for column in (*self.feature_columns, self.prediction_column):
            if not column or "," in column:
                raise SettingsError(f"column names must be non-empty and contain no ',', got {column!r}")
        if not self.suffixes or not all(s.startswith(".") and len(s) > 1 for s in self.suffixes):
            raise SettingsError(f"suffixes must be file extensions like '.csv', got {self.suffixes!r}")
        overlapping = [(a, b) for a in self.suffixes for b in self.suffixes if a != b and a.endswith(b)]
        if overlapping or len(set(self.suffixes)) != len(self.suffixes):
            # S3 refuses two notifications for the same prefix whose suffixes overlap.
            raise SettingsError(f"suffixes must not repeat or end with one another, got {overlapping or self.suffixes}")
        check_async_bounds("retry_attempts", self.retry_attempts, "max_event_age_seconds", self.max_event_age_seconds)


# A Distributed Map child execution's input (items + BatchInput) may be at most 256 KiB.
MAX_BATCH_INPUT_BYTES = 262_144


@dataclass(frozen=True, kw_only=True)
class BatchStateMachineSettings:
    """The Step Functions job for inputs too large for one 15-minute invocation."""

    # csv_rows: rows per child execution, capped by size so BatchInput still fits beside them.
    max_items_per_batch: int = 5000
    max_input_bytes_per_batch: int = 196_608
    # s3_objects: objects per child execution (each object is predicted in full by one invocation).
    objects_per_batch: int = 1
    max_concurrency: int = 10
    # Share of items that may fail before the whole Map run fails (0 = any failure fails the job).
    tolerated_failure_percentage: float = 0
    timeout_hours: int = 24

    def __post_init__(self) -> None:
        if self.max_items_per_batch < 1 or self.objects_per_batch < 1:
            raise SettingsError("max_items_per_batch and objects_per_batch must be >= 1")
        if not 1 <= self.max_input_bytes_per_batch <= MAX_BATCH_INPUT_BYTES:
            raise SettingsError(f"max_input_bytes_per_batch must be within 1..{MAX_BATCH_INPUT_BYTES}")
        if not 1 <= self.max_concurrency <= 10_000:
            raise SettingsError("max_concurrency must be within 1..10000 (Distributed Map's limit)")
        if not 0 <= self.tolerated_failure_percentage <= 100:
            raise SettingsError("tolerated_failure_percentage must be within 0..100")
        if not 1 <= self.timeout_hours <= 24 * 365:
            raise SettingsError("timeout_hours must be within 1..8760 (a STANDARD execution lasts at most a year)")


@dataclass(frozen=True, kw_only=True)
class BatchPredictSettings:
    """Models, data and results in S3 (created buckets or existing ones), one function, an
    optional S3 trigger and a Step Functions job."""

    function: FunctionSettings
    models: BucketLocation = field(default_factory=lambda: BucketLocation(prefix="models/"))
    data: BucketLocation = field(default_factory=lambda: BucketLocation(prefix="input/"))
    results: BucketLocation = field(default_factory=lambda: BucketLocation(prefix="predictions/"))
    # joblib/pickle models run code when loaded: they load only from these locations.
    # A sub-prefix of the model prefix (in the model bucket, whichever it is), None for none...
    trusted_pickle_subprefix: str | None = "trusted/"
    # ...plus explicit s3://bucket/prefix/ locations (read access is granted for them too).
    trusted_pickle_prefixes: tuple[str, ...] = ()
    # Created buckets: an interrupted multipart upload's parts are deleted after this many days.
    abort_incomplete_multipart_upload_days: int = 1
    # Created buckets are versioned: an overwritten or deleted object's previous version stays
    # recoverable this many days, then expires (and so do delete markers left with no versions).
    noncurrent_version_expiration_days: int = 30
    # Created buckets log every request to a dedicated access-log bucket, kept this many days.
    access_log_retention_days: int = 365
    trigger: S3TriggerSettings | None = None
    state_machine: BatchStateMachineSettings = field(default_factory=BatchStateMachineSettings)
    # Function tuning (the function's defaults are the same values).
    batch_rows: int = 32768
    multipart_part_mb: int = 8
    model_cache_size: int = 2

    def __post_init__(self) -> None:
        if self.trusted_pickle_subprefix is not None:
            check_prefix("trusted_pickle_subprefix", self.trusted_pickle_subprefix)
            if not self.trusted_pickle_subprefix:
                raise SettingsError(
                    "trusted_pickle_subprefix '' would trust pickles anywhere under the model prefix;"
                    " name a sub-prefix such as 'trusted/', or None for none"
                )
        for uri in self.trusted_pickle_prefixes:
            split_s3_uri_prefix(uri)
        if self.results.overlaps(self.data):
            raise SettingsError(
                f"results location s3://{self.results.bucket_name}/{self.results.prefix} overlaps the data location"
                f" s3://{self.data.bucket_name}/{self.data.prefix}: predictions written there would be read as new"
                " input (the S3 trigger would invoke itself; a prefix job would list its own outputs)"
            )
        if self.abort_incomplete_multipart_upload_days < 1:
            raise SettingsError("abort_incomplete_multipart_upload_days must be >= 1")
        if self.noncurrent_version_expiration_days < 1:
            raise SettingsError("noncurrent_version_expiration_days must be >= 1")
        if self.access_log_retention_days < 1:
            raise SettingsError("access_log_retention_days must be >= 1")
        if not 1 <= self.batch_rows <= 10_000_000:
            raise SettingsError("batch_rows must be within 1..10000000")
        if not 5 <= self.multipart_part_mb <= 1024:
            raise SettingsError(
                "multipart_part_mb must be within 5..1024 (S3 parts are at least 5 MiB; the function buffers three)"
            )
        if not 1 <= self.model_cache_size <= 16:
            raise SettingsError("model_cache_size must be within 1..16")

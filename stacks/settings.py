"""Typed, frozen settings for every deployment environment.

`app.py` picks one of `ENVIRONMENTS` with `-c env=<name>`; nothing else reads context or
environment variables. Everything a stack may vary per environment lives here, so a
`cdk synth` diff between environments is a diff of this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

Architecture = Literal["x86_64", "arm64"]
# How CodeDeploy shifts the `live` alias to a new version (CodeDeploy's predefined Lambda
# configurations, stacks/common/rollout.py maps them): all at once, 10 % first and the rest
# after N minutes (canary), or 10 % more every N minutes (linear). Alarms roll back either way.
Rollout = Literal[
    "all_at_once",
    "canary_10_percent_5_minutes",
    "canary_10_percent_10_minutes",
    "canary_10_percent_15_minutes",
    "canary_10_percent_30_minutes",
    "linear_10_percent_every_1_minute",
    "linear_10_percent_every_2_minutes",
    "linear_10_percent_every_3_minutes",
    "linear_10_percent_every_10_minutes",
]
ROLLOUTS: tuple[Rollout, ...] = Rollout.__args__  # type: ignore[attr-defined]

# CloudWatch Logs only accepts these retention periods (days).
LOG_RETENTION_DAYS_ALLOWED = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


class SettingsError(ValueError):
    """A settings value that cannot be deployed; the message says which and why."""


@dataclass(frozen=True, kw_only=True)
class VpcPlacement:
    """Existing VPC subnets to place a function in (no lookup: works without credentials)."""

    vpc_id: str
    availability_zones: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.private_subnet_ids or len(self.private_subnet_ids) != len(self.availability_zones):
            raise SettingsError("VpcPlacement needs one private subnet id per availability zone")


def _check_async_bounds(retries_name: str, retries: int, age_name: str, age_seconds: int) -> None:
    """Lambda's limits for an EventInvokeConfig."""
    if not 0 <= retries <= 2:
        raise SettingsError(f"{retries_name} must be within 0..2 (Lambda's limit for asynchronous events), got {retries}")
    if not 60 <= age_seconds <= 21600:
        raise SettingsError(f"{age_name} must be within 60..21600 (Lambda's limits), got {age_seconds}")


@dataclass(frozen=True, kw_only=True)
class ProvisionedConcurrencyAutoscaling:
    """Provisioned concurrency on the `live` alias that follows traffic: Application Auto Scaling
    keeps its utilisation near `utilization_target`, between `min_capacity` and `max_capacity`.
    Replaces FunctionSettings.provisioned_concurrency (which must then be 0): the alias itself is
    deployed with `min_capacity`, the floor that is billed all month."""

    min_capacity: int
    max_capacity: int
    # Share of the provisioned environments busy (LambdaProvisionedConcurrencyUtilization).
    utilization_target: float = 0.7

    def __post_init__(self) -> None:
        if not 1 <= self.min_capacity <= self.max_capacity:
            raise SettingsError(
                f"provisioned concurrency autoscaling needs 1 <= min_capacity <= max_capacity,"
                f" got min {self.min_capacity}, max {self.max_capacity}"
            )
        if not 0.1 <= self.utilization_target <= 0.9:
            raise SettingsError(f"utilization_target must be within 0.1..0.9, got {self.utilization_target}")


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """How one Lambda function is sized and operated."""

    memory_mb: int
    timeout_seconds: int
    architecture: Architecture = "x86_64"
    # Keep-warm: an EventBridge rule pings the function every N minutes; None turns it off.
    keep_warm_minutes: int | None = None
    # Provisioned concurrency on the `live` alias; 0 turns it off. A fixed amount, or...
    provisioned_concurrency: int = 0
    # ...(opt-in, instead) an amount that follows traffic between a minimum and a maximum.
    provisioned_concurrency_autoscaling: ProvisionedConcurrencyAutoscaling | None = None
    reserved_concurrency: int | None = None
    # A Function URL is always AWS_IAM-authenticated: an open endpoint is not a setting.
    function_url: bool = False
    vpc: VpcPlacement | None = None
    # Asynchronous invocations of the `live` alias (its one EventInvokeConfig): how often Lambda
    # retries a failed event (0..2) and how long an event may wait, throttled, before Lambda drops
    # it (60..21600 s). The defaults suit functions whose only asynchronous source is keep-warm
    # (or none): a failed or late ping is dropped, never retried (the keep-warm rule's own
    # maximum event age is 1 minute). A stack with real asynchronous sources (the batch
    # predictor's S3 trigger) sets retries and an on-failure destination from its own settings.
    async_retry_attempts: int = 0
    async_max_event_age_seconds: int = 60
    # Every new version reaches the `live` alias through CodeDeploy: this traffic shift, rolled
    # back automatically when the deployment fails or one of the function's alarms (errors,
    # throttles, p99 duration, InternalErrors) fires during it.
    rollout: Rollout = "all_at_once"
    # Opt-in: before any traffic shifts, a small function invokes the new version with
    # {"action": "health"} and fails the deployment (so it rolls back) unless it answers healthy.
    pre_traffic_health_check: bool = False

    @property
    def provisioned_concurrency_floor(self) -> int:
        """The provisioned concurrency the alias is deployed with (billed all month)."""
        autoscaling = self.provisioned_concurrency_autoscaling
        return autoscaling.min_capacity if autoscaling else self.provisioned_concurrency

    def __post_init__(self) -> None:
        if not 128 <= self.memory_mb <= 10240:
            raise SettingsError(f"memory_mb must be within 128..10240, got {self.memory_mb}")
        if not 1 <= self.timeout_seconds <= 900:
            raise SettingsError(f"timeout_seconds must be within 1..900, got {self.timeout_seconds}")
        if self.architecture not in ("x86_64", "arm64"):
            raise SettingsError(f"architecture must be x86_64 or arm64, got {self.architecture!r}")
        if self.keep_warm_minutes is not None and not 1 <= self.keep_warm_minutes <= 60:
            raise SettingsError("keep_warm_minutes must be within 1..60 (or None for off)")
        if self.provisioned_concurrency < 0:
            raise SettingsError("provisioned_concurrency must be >= 0")
        autoscaling = self.provisioned_concurrency_autoscaling
        if autoscaling is not None and self.provisioned_concurrency:
            raise SettingsError(
                "provisioned_concurrency_autoscaling replaces provisioned_concurrency: set provisioned_concurrency=0"
                f" (the alias is deployed with min_capacity={autoscaling.min_capacity})"
            )
        provisioned_peak = autoscaling.max_capacity if autoscaling else self.provisioned_concurrency
        if self.reserved_concurrency is not None and provisioned_peak > self.reserved_concurrency:
            raise SettingsError(
                f"provisioned concurrency (up to {provisioned_peak}) cannot exceed reserved_concurrency"
                f" ({self.reserved_concurrency}): Lambda refuses it"
            )
        if self.rollout not in ROLLOUTS:
            raise SettingsError(f"rollout must be one of {ROLLOUTS}, got {self.rollout!r}")
        _check_async_bounds("async_retry_attempts", self.async_retry_attempts,
                            "async_max_event_age_seconds", self.async_max_event_age_seconds)


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    alarm_email: str | None = None
    log_retention_days: int = 30
    # p99 duration alarm fires above this share of the function's timeout.
    duration_p99_percent_of_timeout: int = 80

    def __post_init__(self) -> None:
        if self.log_retention_days not in LOG_RETENTION_DAYS_ALLOWED:
            raise SettingsError(
                f"log_retention_days must be one of {LOG_RETENTION_DAYS_ALLOWED}, got {self.log_retention_days}"
            )
        if not 1 <= self.duration_p99_percent_of_timeout <= 100:
            raise SettingsError("duration_p99_percent_of_timeout must be within 1..100")


@dataclass(frozen=True, kw_only=True)
class MaskPredictorSettings:
    function: FunctionSettings
    max_batch_names: int = 1000
    max_name_chars: int = 200
    max_request_bytes: int = 262_144


@dataclass(frozen=True, kw_only=True)
class BudgetSettings:
    """A monthly AWS Budgets cost alarm for one workload (ACTUAL and FORECASTED above the limit)."""

    monthly_limit_usd: float
    # Notifications always go to the stack's alarm topic; this adds a direct e-mail.
    email: str | None = None

    def __post_init__(self) -> None:
        if self.monthly_limit_usd <= 0:
            raise SettingsError("monthly_limit_usd must be positive")


@dataclass(frozen=True, kw_only=True)
class SentimentSettings:
    function: FunctionSettings
    # Build arguments of functions/sentiment/Dockerfile: which model the image bakes in.
    model_id: str = "distilbert-base-uncased-finetuned-sst-2-english"
    quantize: bool = True
    # Load the model from s3://bucket/prefix/ at cold start instead of the baked-in copy.
    model_s3_uri: str | None = None
    max_texts: int = 256
    max_text_chars: int = 5000
    batch_size: int = 16
    budget: BudgetSettings | None = None

    def __post_init__(self) -> None:
        if self.model_s3_uri is not None and not (
            self.model_s3_uri.startswith("s3://") and self.model_s3_uri.endswith("/")
        ):
            raise SettingsError(f"model_s3_uri must look like s3://bucket/prefix/, got {self.model_s3_uri!r}")


ApiAuth = Literal["api_key", "iam"]


@dataclass(frozen=True, kw_only=True)
class RestApiSettings:
    """API Gateway in front of a function. Every method needs auth: there is no open setting."""

    auth: ApiAuth = "api_key"
    # Steady-state requests per second and burst, per stage and per API key (usage plan).
    throttle_rate_per_second: float = 10
    throttle_burst: int = 20
    access_log_retention_days: int = 30
    # API Gateway execution logs (stage logging level ERROR; never request/response bodies).
    # API Gateway writes them with the account's CloudWatch role (the region's
    # AWS::ApiGateway::Account setting), which no workload stack owns: turn this on only once
    # that role is set, by the opt-in Account-<env> stack (EnvironmentSettings.
    # api_gateway_account_logging) or by whoever owns the account; without it the stage's
    # deployment fails. Off: access logs (a log group, no account role needed) still record
    # every request.
    execution_logging: bool = False

    def __post_init__(self) -> None:
        if self.auth not in ("api_key", "iam"):
            raise SettingsError(f"auth must be 'api_key' or 'iam', got {self.auth!r}")
        if self.throttle_rate_per_second <= 0 or self.throttle_burst < 1:
            raise SettingsError("throttle_rate_per_second must be > 0 and throttle_burst >= 1")
        if self.access_log_retention_days not in LOG_RETENTION_DAYS_ALLOWED:
            raise SettingsError(f"access_log_retention_days must be one of {LOG_RETENTION_DAYS_ALLOWED}")


@dataclass(frozen=True, kw_only=True)
class CheckboxSettings:
    function: FunctionSettings
    api: RestApiSettings = field(default_factory=RestApiSettings)
    # Build argument of functions/checkbox/Dockerfile: the exported ONNX model (a path in the
    # repository) baked into the image. The default is the committed test fixture.
    model_file: str = "fixtures/checkbox/yolov8_tiny/model.onnx"
    # Load the model from S3 at cold start instead (s3://bucket/key.onnx; labels.json beside it).
    model_s3_uri: str | None = None
    max_image_pixels: int = 40_000_000
    max_pages: int = 20
    # Scans past the request payload limits go through S3: POST /uploads presigns a PUT of a new
    # object under this prefix of the stack's uploads bucket, valid this many seconds; POST
    # /predict {"s3_key"} then reads objects up to max_upload_bytes (held in the function's
    # memory with their decoded pages); every upload is deleted after uploads_expire_days.
    uploads_prefix: str = "checkbox-uploads/"
    upload_url_expires_seconds: int = 300
    max_upload_bytes: int = 50_000_000
    uploads_expire_days: int = 1

    def __post_init__(self) -> None:
        if self.model_s3_uri is not None and not (
            self.model_s3_uri.startswith("s3://") and self.model_s3_uri.endswith(".onnx")
        ):
            raise SettingsError(f"model_s3_uri must look like s3://bucket/key.onnx, got {self.model_s3_uri!r}")
        if self.function.timeout_seconds > 29:
            # API Gateway answers 504 after 29 s whatever the function does afterwards.
            raise SettingsError("a function behind API Gateway needs timeout_seconds <= 29")
        self._check_uploads()

    def _check_uploads(self) -> None:
        """The same bounds functions/checkbox/config.py applies at cold start, caught at synth."""
        _check_prefix("uploads_prefix", self.uploads_prefix)
        if not _UPLOADS_PREFIX.fullmatch(self.uploads_prefix) or {".", ".."} & set(self.uploads_prefix.split("/")):
            raise SettingsError(
                "uploads_prefix must be a key prefix such as 'checkbox-uploads/' (letters, digits, !-_.'() and '/',"
                f" ending with '/'; not the whole bucket), got {self.uploads_prefix!r}"
            )
        if not 10 <= self.upload_url_expires_seconds <= 3600:
            raise SettingsError(f"upload_url_expires_seconds must be within 10..3600, got {self.upload_url_expires_seconds}")
        # The object and its decoded pages share the function's memory: keep the object to a quarter of it.
        memory_budget = self.function.memory_mb * 1024 * 1024 // 4
        if not 1 <= self.max_upload_bytes <= min(memory_budget, 1_000_000_000):
            raise SettingsError(
                f"max_upload_bytes must be within 1..{min(memory_budget, 1_000_000_000):,} (a quarter of the function's"
                f" {self.function.memory_mb} MB, at most 1 GB), got {self.max_upload_bytes:,}"
            )
        if not 1 <= self.uploads_expire_days <= 30:
            raise SettingsError(f"uploads_expire_days must be within 1..30, got {self.uploads_expire_days}")


# A key prefix an IAM ARN pattern (<prefix>*) names exactly, as functions/checkbox/config.py accepts it.
_UPLOADS_PREFIX = re.compile(r"[A-Za-z0-9!\-_.'()]+(/[A-Za-z0-9!\-_.'()]+)*/")
# An S3 bucket name as S3 accepts it for new buckets (3..63 lowercase letters, digits, dots, hyphens).
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _check_prefix(what: str, prefix: str) -> None:
    """A key prefix is "" (the whole bucket) or ends with "/"; it is used in IAM ARNs and in a
    comma-separated variable, so wildcards and commas are refused."""
    if prefix and (not prefix.endswith("/") or prefix.startswith("/")):
        raise SettingsError(f"{what} must be '' (whole bucket) or a key prefix like 'input/', got {prefix!r}")
    if any(character in prefix for character in "*?,") or "//" in prefix:
        raise SettingsError(f"{what} must not contain '*', '?', ',' or '//', got {prefix!r}")


def _check_bucket_name(what: str, name: str) -> None:
    if not _BUCKET_NAME.match(name) or ".." in name:
        raise SettingsError(f"{what} must be an S3 bucket name (3-63 of a-z 0-9 . -), got {name!r}")


@dataclass(frozen=True, kw_only=True)
class BucketLocation:
    """Where one kind of object lives: under `prefix` in a bucket the stack creates
    (`bucket_name=None`), or in an existing bucket named here (imported by name, never looked up)."""

    prefix: str
    bucket_name: str | None = None

    def __post_init__(self) -> None:
        _check_prefix("prefix", self.prefix)
        if self.bucket_name is not None:
            _check_bucket_name("bucket_name", self.bucket_name)

    def overlaps(self, other: BucketLocation) -> bool:
        """True when both name the same existing bucket and one prefix contains the other."""
        return (
            self.bucket_name is not None
            and self.bucket_name == other.bucket_name
            and (self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix))
        )


def split_s3_uri_prefix(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix/') from 's3://bucket/prefix/' (or 's3://bucket/' for a whole bucket)."""
    if not uri.startswith("s3://") or "/" not in uri.removeprefix("s3://"):
        raise SettingsError(f"expected s3://bucket/prefix/ (ending with '/'), got {uri!r}")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    _check_bucket_name(f"bucket of {uri!r}", bucket)
    _check_prefix(f"prefix of {uri!r}", prefix)
    return bucket, prefix


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
        _check_async_bounds("retry_attempts", self.retry_attempts, "max_event_age_seconds", self.max_event_age_seconds)


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
            _check_prefix("trusted_pickle_subprefix", self.trusted_pickle_subprefix)
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
            raise SettingsError("multipart_part_mb must be within 5..1024 (S3 parts are at least 5 MiB; the function buffers three)")
        if not 1 <= self.model_cache_size <= 16:
            raise SettingsError("model_cache_size must be within 1..16")


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings:
    name: str
    account: str
    region: str
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    mask_predictor: MaskPredictorSettings
    sentiment: SentimentSettings
    checkbox: CheckboxSettings
    batch_predict: BatchPredictSettings
    # Adds the Account-<env> stack: the CloudWatch role API Gateway writes execution logs with,
    # set as this account and region's AWS::ApiGateway::Account setting (both retained when the
    # stack is deleted). Account-wide: it serves every REST API in the region, whoever deployed
    # it, so no workload stack creates it. Off unless this app should own that setting in the
    # account (one owner per account and region; check `aws apigateway get-account` first).
    api_gateway_account_logging: bool = False

    def __post_init__(self) -> None:
        if not (self.account.isdigit() and len(self.account) == 12):
            raise SettingsError(f"account must be a 12-digit AWS account id, got {self.account!r}")
        if not self.region:
            raise SettingsError("region must be set")

    def stack_name(self, workload: str) -> str:
        return f"{workload}-{self.name}"


# Dev takes a new version at once (alarms still roll it back); prod sends 10 % of traffic to it
# for 5 minutes first, and shifts the rest only if no alarm fired meanwhile.
DEV_ROLLOUT: Rollout = "all_at_once"
PROD_ROLLOUT: Rollout = "canary_10_percent_5_minutes"

ENVIRONMENTS: dict[str, EnvironmentSettings] = {
    "dev": EnvironmentSettings(
        name="dev",
        account="111111111111",
        region="us-east-1",
        monitoring=MonitoringSettings(log_retention_days=14),
        # Whether this app owns the account's API Gateway CloudWatch role: see the field's comment.
        api_gateway_account_logging=False,
        mask_predictor=MaskPredictorSettings(
            function=FunctionSettings(memory_mb=512, timeout_seconds=30, function_url=True, rollout=DEV_ROLLOUT),
        ),
        sentiment=SentimentSettings(
            function=FunctionSettings(memory_mb=2048, timeout_seconds=60, rollout=DEV_ROLLOUT),
        ),
        checkbox=CheckboxSettings(
            function=FunctionSettings(memory_mb=3008, timeout_seconds=29, rollout=DEV_ROLLOUT),
        ),
        batch_predict=BatchPredictSettings(
            # Lambda's longest run; keep-warm off: jobs are minutes long and models cache per
            # environment anyway.
            function=FunctionSettings(memory_mb=3008, timeout_seconds=900, rollout=DEV_ROLLOUT),
            noncurrent_version_expiration_days=30,
            access_log_retention_days=90,
        ),
    ),
    "prod": EnvironmentSettings(
        name="prod",
        account="222222222222",
        region="us-east-1",
        monitoring=MonitoringSettings(log_retention_days=90),
        api_gateway_account_logging=False,
        mask_predictor=MaskPredictorSettings(
            function=FunctionSettings(
                memory_mb=512, timeout_seconds=30, keep_warm_minutes=5, function_url=True, rollout=PROD_ROLLOUT
            ),
        ),
        sentiment=SentimentSettings(
            function=FunctionSettings(memory_mb=2048, timeout_seconds=60, keep_warm_minutes=5, rollout=PROD_ROLLOUT),
            budget=BudgetSettings(monthly_limit_usd=1.0),
        ),
        checkbox=CheckboxSettings(
            function=FunctionSettings(memory_mb=3008, timeout_seconds=29, keep_warm_minutes=5, rollout=PROD_ROLLOUT),
            api=RestApiSettings(throttle_rate_per_second=20, throttle_burst=40, access_log_retention_days=90),
        ),
        batch_predict=BatchPredictSettings(
            function=FunctionSettings(memory_mb=3008, timeout_seconds=900, rollout=PROD_ROLLOUT),
            # Spelled out in prod: pickles load only from models/trusted/, which only the
            # training pipeline should be allowed to write; no other location is trusted.
            trusted_pickle_subprefix="trusted/",
            trusted_pickle_prefixes=(),
            # A model or result overwritten by mistake can be restored for a quarter.
            noncurrent_version_expiration_days=90,
            access_log_retention_days=365,
            state_machine=BatchStateMachineSettings(max_concurrency=50, tolerated_failure_percentage=0),
        ),
    ),
}


def settings_for(environment: str, *, account: str | None = None, region: str | None = None) -> EnvironmentSettings:
    """The named environment's settings, with the account and region optionally overridden."""
    try:
        settings = ENVIRONMENTS[environment]
    except KeyError:
        raise SettingsError(
            f"unknown environment {environment!r}; choose one of {sorted(ENVIRONMENTS)} with -c env=<name>"
        ) from None
    overrides = {key: value for key, value in (("account", account), ("region", region)) if value}
    return replace(settings, **overrides) if overrides else settings

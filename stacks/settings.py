"""Typed, frozen settings for every deployment environment.

`app.py` picks one of `ENVIRONMENTS` with `-c env=<name>`; nothing else reads context or
environment variables. Everything a stack may vary per environment lives here, so a
`cdk synth` diff between environments is a diff of this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Architecture = Literal["x86_64", "arm64"]

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


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """How one Lambda function is sized and operated."""

    memory_mb: int
    timeout_seconds: int
    architecture: Architecture = "x86_64"
    # Keep-warm: an EventBridge rule pings the function every N minutes; None turns it off.
    keep_warm_minutes: int | None = None
    # Provisioned concurrency on the `live` alias; 0 turns it off.
    provisioned_concurrency: int = 0
    reserved_concurrency: int | None = None
    # A Function URL is always AWS_IAM-authenticated: an open endpoint is not a setting.
    function_url: bool = False
    vpc: VpcPlacement | None = None

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

    def __post_init__(self) -> None:
        if self.model_s3_uri is not None and not (
            self.model_s3_uri.startswith("s3://") and self.model_s3_uri.endswith(".onnx")
        ):
            raise SettingsError(f"model_s3_uri must look like s3://bucket/key.onnx, got {self.model_s3_uri!r}")
        if self.function.timeout_seconds > 29:
            # API Gateway answers 504 after 29 s whatever the function does afterwards.
            raise SettingsError("a function behind API Gateway needs timeout_seconds <= 29")


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings:
    name: str
    account: str
    region: str
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    mask_predictor: MaskPredictorSettings
    sentiment: SentimentSettings
    checkbox: CheckboxSettings

    def __post_init__(self) -> None:
        if not (self.account.isdigit() and len(self.account) == 12):
            raise SettingsError(f"account must be a 12-digit AWS account id, got {self.account!r}")
        if not self.region:
            raise SettingsError("region must be set")

    def stack_name(self, workload: str) -> str:
        return f"{workload}-{self.name}"


ENVIRONMENTS: dict[str, EnvironmentSettings] = {
    "dev": EnvironmentSettings(
        name="dev",
        account="111111111111",
        region="us-east-1",
        monitoring=MonitoringSettings(log_retention_days=14),
        mask_predictor=MaskPredictorSettings(
            function=FunctionSettings(memory_mb=512, timeout_seconds=30, function_url=True),
        ),
        sentiment=SentimentSettings(
            function=FunctionSettings(memory_mb=2048, timeout_seconds=60),
        ),
        checkbox=CheckboxSettings(
            function=FunctionSettings(memory_mb=3008, timeout_seconds=29),
        ),
    ),
    "prod": EnvironmentSettings(
        name="prod",
        account="222222222222",
        region="us-east-1",
        monitoring=MonitoringSettings(log_retention_days=90),
        mask_predictor=MaskPredictorSettings(
            function=FunctionSettings(
                memory_mb=512, timeout_seconds=30, keep_warm_minutes=5, function_url=True
            ),
        ),
        sentiment=SentimentSettings(
            function=FunctionSettings(memory_mb=2048, timeout_seconds=60, keep_warm_minutes=5),
            budget=BudgetSettings(monthly_limit_usd=1.0),
        ),
        checkbox=CheckboxSettings(
            function=FunctionSettings(memory_mb=3008, timeout_seconds=29, keep_warm_minutes=5),
            api=RestApiSettings(throttle_rate_per_second=20, throttle_burst=40, access_log_retention_days=90),
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

"""The settings of the mask predictor, sentiment and checkbox workloads (batch: batch.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from stacks.naming import check_uploads_prefix
from stacks.schema.base import LOG_RETENTION_DAYS_ALLOWED, SettingsError
from stacks.schema.function import FunctionSettings


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
    # repository) baked into the image. The default is the model `make train-checkbox` trained
    # and committed (models/checkbox/MODEL_CARD.md).
    model_file: str = "models/checkbox/model.onnx"
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
        check_uploads_prefix("uploads_prefix", self.uploads_prefix)
        if not 10 <= self.upload_url_expires_seconds <= 3600:
            raise SettingsError(
                f"upload_url_expires_seconds must be within 10..3600, got {self.upload_url_expires_seconds}"
            )
        # The object and its decoded pages share the function's memory: keep the object to a quarter of it.
        memory_budget = self.function.memory_mb * 1024 * 1024 // 4
        if not 1 <= self.max_upload_bytes <= min(memory_budget, 1_000_000_000):
            raise SettingsError(
                f"max_upload_bytes must be within 1..{min(memory_budget, 1_000_000_000):,} (a quarter of the function's"
                f" {self.function.memory_mb} MB, at most 1 GB), got {self.max_upload_bytes:,}"
            )
        if not 1 <= self.uploads_expire_days <= 30:
            raise SettingsError(f"uploads_expire_days must be within 1..30, got {self.uploads_expire_days}")

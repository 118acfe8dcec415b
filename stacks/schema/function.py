"""How one Lambda function is sized, operated and monitored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from stacks.schema.base import LOG_RETENTION_DAYS_ALLOWED, SettingsError, check_async_bounds

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
ROLLOUTS: tuple[Rollout, ...] = get_args(Rollout)


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
        check_async_bounds(
            "async_retry_attempts",
            self.async_retry_attempts,
            "async_max_event_age_seconds",
            self.async_max_event_age_seconds,
        )


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

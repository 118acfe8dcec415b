"""One deployment environment: where it deploys and every workload's settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from stacks.schema.base import SettingsError
from stacks.schema.batch import BatchPredictSettings
from stacks.schema.function import MonitoringSettings
from stacks.schema.workloads import CheckboxSettings, MaskPredictorSettings, SentimentSettings


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


def select_environment(
    environments: dict[str, EnvironmentSettings], name: str, *, account: str | None = None, region: str | None = None
) -> EnvironmentSettings:
    """The named environment's settings, with the account and region optionally overridden."""
    try:
        settings = environments[name]
    except KeyError:
        raise SettingsError(
            f"unknown environment {name!r}; choose one of {sorted(environments)} with -c env=<name>"
        ) from None
    if account:
        settings = replace(settings, account=account)
    if region:
        settings = replace(settings, region=region)
    return settings

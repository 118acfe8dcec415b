"""Every deployment environment's settings: the file to edit.

`app.py` picks one of `ENVIRONMENTS` with `-c env=<name>`; nothing else reads context or
environment variables. Everything a stack may vary per environment lives here, so a
`cdk synth` diff between environments is a diff of this file. What each field means and
allows: stacks/schema/ (checked when this module is imported); S3 naming rules: stacks/naming.py.
"""

from __future__ import annotations

from stacks.naming import split_s3_uri_prefix
from stacks.schema.base import LOG_RETENTION_DAYS_ALLOWED, SettingsError
from stacks.schema.batch import (
    MAX_BATCH_INPUT_BYTES,
    BatchPredictSettings,
    BatchStateMachineSettings,
    BucketLocation,
    S3TriggerSettings,
)
from stacks.schema.environment import EnvironmentSettings, select_environment
from stacks.schema.function import (
    ROLLOUTS,
    Architecture,
    FunctionSettings,
    MonitoringSettings,
    ProvisionedConcurrencyAutoscaling,
    Rollout,
    VpcPlacement,
)
from stacks.schema.workloads import (
    ApiAuth,
    BudgetSettings,
    CheckboxSettings,
    MaskPredictorSettings,
    RestApiSettings,
    SentimentSettings,
)

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
    return select_environment(ENVIRONMENTS, environment, account=account, region=region)


__all__ = [
    "ENVIRONMENTS",
    "LOG_RETENTION_DAYS_ALLOWED",
    "MAX_BATCH_INPUT_BYTES",
    "ROLLOUTS",
    "ApiAuth",
    "Architecture",
    "BatchPredictSettings",
    "BatchStateMachineSettings",
    "BucketLocation",
    "BudgetSettings",
    "CheckboxSettings",
    "EnvironmentSettings",
    "FunctionSettings",
    "MaskPredictorSettings",
    "MonitoringSettings",
    "ProvisionedConcurrencyAutoscaling",
    "RestApiSettings",
    "Rollout",
    "S3TriggerSettings",
    "SentimentSettings",
    "SettingsError",
    "VpcPlacement",
    "settings_for",
    "split_s3_uri_prefix",
]

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from stacks.app_builder import WorkloadStacks
from stacks.settings import (
    ENVIRONMENTS,
    BatchStateMachineSettings,
    BucketLocation,
    BudgetSettings,
    EnvironmentSettings,
    ProvisionedConcurrencyAutoscaling,
    RestApiSettings,
    S3TriggerSettings,
    VpcPlacement,
)
from tests.infra.synth import (
    Synth,
    synth_app,
    synth_batch_predict,
    synth_checkbox,
    synth_mask_predictor,
    synth_sentiment,
    with_batch_predict,
    with_mask_function,
    with_template,
    with_workload,
)
from tests.support.cdk_cli import CliSynth, cdk_cli_synth

# Every fixture synthesizes the whole app the way `cdk synth` does (tests/infra/synth.py); the
# dev and prod apps once per session, shared by their four stacks' fixtures.


@pytest.fixture(scope="session")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> WorkloadStacks:
    return synth_app(ENVIRONMENTS["dev"], tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod_app(tmp_path_factory: pytest.TempPathFactory) -> WorkloadStacks:
    return synth_app(ENVIRONMENTS["prod"], tmp_path_factory.mktemp("prod"))


def _workload_stack(environment: str, short: str, workload: str) -> Callable[..., Synth]:
    """The session fixture <environment>_<short>: one workload's stack (its stacks/workloads.py
    name) in the dev or prod app."""

    @pytest.fixture(scope="session", name=f"{environment}_{short}")
    def fixture(request: pytest.FixtureRequest) -> Synth:
        return with_template(getattr(request.getfixturevalue(f"{environment}_app"), workload))

    return fixture


# dev_mask, prod_mask, dev_sentiment... : each workload's stack in each environment's app.
for _environment in ("dev", "prod"):
    for _short, _workload in (
        ("mask", "mask_predictor"),
        ("sentiment", "sentiment"),
        ("checkbox", "checkbox"),
        ("batch", "batch_predict"),
    ):
        globals()[f"{_environment}_{_short}"] = _workload_stack(_environment, _short, _workload)


@pytest.fixture(scope="session")
def cli_synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliSynth]:
    """The real `cdk synth -c env=<name>` output per environment (tests/support/cdk_cli.py)."""
    return cdk_cli_synth(tuple(ENVIRONMENTS), tmp_path_factory)


@pytest.fixture(scope="session")
def tuned_mask(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """Every opt-in switched on, on arm64, in a VPC, with alarm e-mails."""
    base = ENVIRONMENTS["dev"]
    settings = with_mask_function(
        replace(base, monitoring=replace(base.monitoring, alarm_email="oncall@example.com")),
        architecture="arm64",
        provisioned_concurrency=2,
        keep_warm_minutes=7,
        function_url=False,
        vpc=VpcPlacement(
            vpc_id="vpc-0123456789abcdef0",
            availability_zones=("us-east-1a", "us-east-1b"),
            private_subnet_ids=("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
        ),
    )
    return synth_mask_predictor(settings, tmp_path_factory.mktemp("tuned"))


@pytest.fixture(scope="session")
def rollout_mask(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """A linear rollout behind a pre-traffic health check, provisioned concurrency that follows
    traffic (2..10 at 60 % utilisation), and keep-warm on the same alias."""
    settings = with_mask_function(
        ENVIRONMENTS["dev"],
        rollout="linear_10_percent_every_2_minutes",
        pre_traffic_health_check=True,
        provisioned_concurrency_autoscaling=ProvisionedConcurrencyAutoscaling(
            min_capacity=2, max_capacity=10, utilization_target=0.6
        ),
        keep_warm_minutes=5,
    )
    return synth_mask_predictor(settings, tmp_path_factory.mktemp("rollout"))


@pytest.fixture(scope="session")
def cdk_out_of(dev_mask: tuple[Stack, Template]) -> Path:
    stack, _ = dev_mask
    return Path(stack.node.root.outdir)


def _arm64_with_model_from_s3(workload: str, model_s3_uri: str, **changes: Any) -> EnvironmentSettings:
    """The dev settings with one image workload on arm64, loading its model from `model_s3_uri`
    rather than the image, and with `changes` to its other settings."""
    return with_workload(
        ENVIRONMENTS["dev"],
        workload,
        function_changes={"architecture": "arm64"},
        model_s3_uri=model_s3_uri,
        **changes,
    )


@pytest.fixture(scope="session")
def tuned_sentiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """arm64, fp32, model loaded from S3, budget with a direct e-mail."""
    budget = BudgetSettings(monthly_limit_usd=25.0, email="finance@example.com")
    settings = _arm64_with_model_from_s3("sentiment", "s3://models-bucket/sentiment/v3/", quantize=False, budget=budget)
    return synth_sentiment(settings, tmp_path_factory.mktemp("sentiment-tuned"))


@pytest.fixture(scope="session")
def iam_checkbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """IAM auth instead of API keys, arm64, model from S3."""
    api = RestApiSettings(auth="iam", throttle_rate_per_second=5, throttle_burst=7)
    settings = _arm64_with_model_from_s3("checkbox", "s3://models-bucket/checkbox/best.onnx", api=api)
    return synth_checkbox(settings, tmp_path_factory.mktemp("checkbox-iam"))


@pytest.fixture(scope="session")
def account_logging_app(tmp_path_factory: pytest.TempPathFactory) -> WorkloadStacks:
    """The Account-<env> stack switched on, and the checkbox stage's execution logging with it."""
    base = ENVIRONMENTS["dev"]
    checkbox = replace(base.checkbox, api=replace(base.checkbox.api, execution_logging=True))
    settings = replace(base, api_gateway_account_logging=True, checkbox=checkbox)
    return synth_app(settings, tmp_path_factory.mktemp("account-logging"))


@pytest.fixture(scope="session")
def triggered_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """The S3 trigger on (named feature columns), keep-warm on, arm64, a tuned state machine."""
    base = ENVIRONMENTS["dev"]
    settings = with_batch_predict(
        base,
        function=replace(base.batch_predict.function, architecture="arm64", keep_warm_minutes=10),
        state_machine=BatchStateMachineSettings(
            max_items_per_batch=2000,
            max_input_bytes_per_batch=100_000,
            objects_per_batch=4,
            max_concurrency=3,
            tolerated_failure_percentage=5,
            timeout_hours=6,
        ),
        abort_incomplete_multipart_upload_days=3,
        trigger=S3TriggerSettings(
            model_key="trusted/churn/v3/model.joblib",
            feature_columns=("tenure", "monthly_charges"),
            prediction_column="churn",
            max_event_age_seconds=3600,
        ),
    )
    return synth_batch_predict(settings, tmp_path_factory.mktemp("batch-triggered"))


@pytest.fixture(scope="session")
def existing_buckets_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Template]:
    """Existing buckets named in settings (one shared by data and results), extra trusted pickle
    locations inside and outside the model prefix, and the trigger on."""
    settings = with_batch_predict(
        ENVIRONMENTS["dev"],
        models=BucketLocation(bucket_name="acme-ml-models", prefix="sklearn/"),
        data=BucketLocation(bucket_name="acme-ml-batch", prefix="incoming/"),
        results=BucketLocation(bucket_name="acme-ml-batch", prefix="scored/"),
        trusted_pickle_subprefix=None,
        trusted_pickle_prefixes=("s3://acme-ml-models/sklearn/reviewed/", "s3://acme-ml-legacy/pickles/"),
        trigger=S3TriggerSettings(model_key="churn/model.skops"),
    )
    return synth_batch_predict(settings, tmp_path_factory.mktemp("batch-existing"))

"""Asynchronous invocations are bounded on purpose: every function's `live` alias has exactly one
EventInvokeConfig, from settings (no retries, one minute) unless a real asynchronous source (the
batch predictor's S3 trigger) sets retries and an on-failure destination."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from stacks.app_builder import WorkloadStacks
from stacks.common.inference_function import AsyncInvoke
from stacks.common.s3_prefix_access import S3Location
from stacks.common.s3_trigger import S3Trigger
from stacks.settings import ENVIRONMENTS, FunctionSettings, SettingsError
from tests.infra.synth import synth_mask_predictor, with_mask_function
from tests.support.templates import Synth, probe_function


def configs_per_alias(template: Template) -> dict[str, list[dict[str, Any]]]:
    """Alias logical id -> the properties of the EventInvokeConfigs whose qualifier is that alias."""
    found: dict[str, list[dict[str, Any]]] = {alias: [] for alias in template.find_resources("AWS::Lambda::Alias")}
    for config in template.find_resources("AWS::Lambda::EventInvokeConfig").values():
        properties = config["Properties"]
        index, (delimiter, alias_ref) = (
            properties["Qualifier"]["Fn::Select"][0],
            properties["Qualifier"]["Fn::Select"][1]["Fn::Split"],
        )
        assert (index, delimiter) == (7, ":")  # the alias name, from the alias' ARN
        found[alias_ref["Ref"]].append(properties)
    return found


def bounds(properties: dict[str, Any]) -> tuple[int, int, Any]:
    return (
        properties["MaximumRetryAttempts"],
        properties["MaximumEventAgeInSeconds"],
        properties.get("DestinationConfig"),
    )


@pytest.mark.parametrize("fixture", ["dev_app", "prod_app"])
def test_every_alias_of_every_stack_has_one_bounded_config(fixture: str, request: pytest.FixtureRequest) -> None:
    app: WorkloadStacks = request.getfixturevalue(fixture)
    aliases = 0
    for stack in app.all():
        template = Template.from_stack(stack)
        for alias, configs in configs_per_alias(template).items():
            assert len(configs) == 1, f"{stack.stack_name}/{alias}: {len(configs)} EventInvokeConfigs"
            # Keep-warm (prod) or nothing (dev) is the only asynchronous source: nothing retried or kept.
            assert bounds(configs[0]) == (0, 60, None), stack.stack_name
            aliases += 1
    assert aliases == 4


def test_the_keep_warm_rule_and_the_alias_agree_on_a_one_minute_age(prod_app: WorkloadStacks) -> None:
    template = Template.from_stack(prod_app.mask_predictor)
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 0}
    ((config,),) = configs_per_alias(template).values()
    assert bounds(config) == (0, 60, None)


def test_the_triggered_batch_alias_has_the_triggers_config_only(triggered_batch: Synth) -> None:
    stack, template = triggered_batch
    ((alias, configs),) = configs_per_alias(template).items()
    assert len(configs) == 1
    queue = stack.get_logical_id(stack.trigger.failure_queue.node.default_child)
    assert bounds(configs[0]) == (2, 3600, {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}})
    # The keep-warm pings of this fixture reach the same alias: it has no second configuration.
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": alias}


def test_settings_bound_the_alias(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = with_mask_function(ENVIRONMENTS["dev"], async_retry_attempts=1, async_max_event_age_seconds=300)
    _, template = synth_mask_predictor(settings, tmp_path_factory.mktemp("mask-async"))
    ((config,),) = configs_per_alias(template).values()
    assert bounds(config) == (1, 300, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"async_retry_attempts": 3}, "async_retry_attempts must be within 0..2"),
        ({"async_retry_attempts": -1}, "async_retry_attempts must be within 0..2"),
        ({"async_max_event_age_seconds": 59}, "async_max_event_age_seconds must be within 60..21600"),
        ({"async_max_event_age_seconds": 21601}, "async_max_event_age_seconds must be within 60..21600"),
    ],
)
def test_async_bounds_are_validated(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        FunctionSettings(memory_mb=512, timeout_seconds=30, **changes)


def test_defaults_and_every_environment_use_the_one_minute_no_retry_bounds() -> None:
    default = FunctionSettings(memory_mb=512, timeout_seconds=30)
    assert (default.async_retry_attempts, default.async_max_event_age_seconds) == (0, 60)
    for settings in ENVIRONMENTS.values():
        for workload in (settings.mask_predictor, settings.sentiment, settings.checkbox, settings.batch_predict):
            assert (workload.function.async_retry_attempts, workload.function.async_max_event_age_seconds) == (0, 60)


def test_a_second_config_for_the_same_alias_is_refused() -> None:
    stack = Stack(App(), "Probe")
    function = probe_function(stack)
    with pytest.raises(RuntimeError, match="EventInvokeConfig has already been configured"):
        function.alias.configure_async_invoke(retry_attempts=2)


def test_a_trigger_refuses_a_function_configured_without_it() -> None:
    stack = Stack(App(), "Probe")
    trigger = S3Trigger(
        stack,
        "Trigger",
        source=S3Location(bucket=s3.Bucket(stack, "Data"), prefix="input/"),
        suffixes=(".csv",),
        retry_attempts=2,
        max_event_age=Duration.hours(1),
        alarm_name_prefix="probe",
    )
    function = probe_function(stack, async_invoke=AsyncInvoke(retry_attempts=0, max_event_age=Duration.minutes(1)))
    with pytest.raises(ValueError, match="async_invoke=<this trigger>.async_invoke"):
        trigger.invoke(function)
    Template.from_stack(stack).resource_count_is("Custom::S3BucketNotifications", 0)

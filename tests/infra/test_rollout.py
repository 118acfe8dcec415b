"""Every function's `live` alias is deployed through CodeDeploy with automatic rollback on its
alarms; the opt-in pre-traffic health check and provisioned concurrency autoscaling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from stacks.common.packages import PYTHON_RUNTIME
from stacks.common.pre_traffic_hook import HANDLER_SOURCE
from tools.cloud_assembly import CloudAssembly
from tools.synth_report import provisioned_concurrency, report_rows, rollout_strategy

Synth = tuple[Stack, Template]
WORKLOADS = ("mask", "sentiment", "checkbox", "batch")
FUNCTION_NAMES = {
    "mask": "mask-predictor",
    "sentiment": "sentiment",
    "checkbox": "checkbox",
    "batch": "batch-predict",
}
EXPECTED_CONFIG = {
    "dev": "CodeDeployDefault.LambdaAllAtOnce",
    "prod": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
}
ROLLBACK_METRICS = {
    ("AWS/Lambda", "Errors"),
    ("AWS/Lambda", "Throttles"),
    ("AWS/Lambda", "Duration"),
    ("MlInference", "InternalErrors"),
}
CODEDEPLOY_POLICY = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"],
    ]
}


def resources_of(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(resource_type)


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def workload_function(template: Template) -> tuple[str, dict[str, Any]]:
    """The workload's function (not CDK's inline helpers, not the pre-traffic hook)."""
    (found,) = [
        (logical_id, resource)
        for logical_id, resource in resources_of(template, "AWS::Lambda::Function").items()
        if "ZipFile" not in resource["Properties"]["Code"]
    ]
    return found


def alarm_metric(alarm: dict[str, Any]) -> tuple[str, str]:
    properties = alarm["Properties"]
    if "Metrics" in properties:  # cdk-monitoring-constructs' metric-math alarms
        (query,) = properties["Metrics"]
        metric = query["MetricStat"]["Metric"]
        return metric["Namespace"], metric["MetricName"]
    return properties["Namespace"], properties["MetricName"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_function_rolls_out_through_codedeploy_with_rollback_on_its_alarms(
    environment: str, workload: str, request: pytest.FixtureRequest
) -> None:
    _, template = request.getfixturevalue(f"{environment}_{workload}")
    function_id, _ = workload_function(template)
    alias_id, alias = only(template, "AWS::Lambda::Alias")
    application_id, application = only(template, "AWS::CodeDeploy::Application")
    group_id, group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    function_name = f"{FUNCTION_NAMES[workload]}-{environment}"

    # The alias follows the function's current version: a new version is a deployment.
    assert alias["Properties"]["FunctionName"] == {"Ref": function_id}
    version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    assert resources_of(template, "AWS::Lambda::Version")[version_id]["Properties"]["FunctionName"] == {
        "Ref": function_id
    }
    assert alias["UpdatePolicy"] == {
        "CodeDeployLambdaAliasUpdate": {
            "ApplicationName": {"Ref": application_id},
            "DeploymentGroupName": {"Ref": group_id},
        }
    }
    assert (application["Properties"]["ApplicationName"], application["Properties"]["ComputePlatform"]) == (
        function_name,
        "Lambda",
    )

    properties = group["Properties"]
    assert properties["DeploymentConfigName"] == EXPECTED_CONFIG[environment]
    assert properties["DeploymentGroupName"] == "live"
    assert properties["DeploymentStyle"] == {"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"}
    assert properties["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    # Rollback triggers: the function's error, throttle, p99 duration and InternalErrors alarms.
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert properties["AlarmConfiguration"]["Enabled"] is True
    trigger_ids = [alarm["Name"]["Ref"] for alarm in properties["AlarmConfiguration"]["Alarms"]]
    assert len(trigger_ids) == 4
    assert {alarm_metric(alarms[trigger_id]) for trigger_id in trigger_ids} == ROLLBACK_METRICS
    for trigger_id in trigger_ids:
        assert alarms[trigger_id]["Properties"]["AlarmName"].startswith(function_name)

    # CodeDeploy's own role, trusted by CodeDeploy only, with AWS's policy for Lambda deployments.
    role_id = properties["ServiceRoleArn"]["Fn::GetAtt"][0]
    role = resources_of(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}}
    ]
    assert role["ManagedPolicyArns"] == [CODEDEPLOY_POLICY]
    # No hook unless opted in; no autoscaling unless opted in.
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    assert not any(
        resource["Properties"]["Roles"] == [{"Ref": role_id}]
        for resource in resources_of(template, "AWS::IAM::Policy").values()
    )


def test_prod_keep_warm_and_the_rollout_share_the_alias(prod_mask: Synth) -> None:
    _, template = prod_mask
    alias_id, _ = only(template, "AWS::Lambda::Alias")
    _, rule = only(template, "AWS::Events::Rule")
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [{"Ref": alias_id}]


def test_pre_traffic_hook_health_checks_the_new_version_with_least_privilege(rollout_mask: Synth) -> None:
    _, template = rollout_mask
    function_id, _ = workload_function(template)
    alias_id, alias = only(template, "AWS::Lambda::Alias")
    group_id, group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    application_id, _ = only(template, "AWS::CodeDeploy::Application")
    version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    ((hook_id, hook),) = [
        (logical_id, resource)
        for logical_id, resource in resources_of(template, "AWS::Lambda::Function").items()
        if resource["Properties"].get("FunctionName") == "mask-predictor-dev-pre-traffic"
    ]
    properties = hook["Properties"]
    assert properties["Runtime"] == PYTHON_RUNTIME.name == "python3.13"
    assert properties["Handler"] == "index.handler"
    assert properties["Code"] == {"ZipFile": HANDLER_SOURCE.read_text()}
    assert properties["Environment"] == {"Variables": {"TARGET_VERSION_ARN": {"Ref": version_id}}}
    assert properties["Timeout"] == 120 and properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources_of(template, "AWS::Logs::LogGroup")[log_group_id]["Properties"] == {
        "LogGroupName": "/aws/lambda/mask-predictor-dev-pre-traffic",
        "RetentionInDays": 14,
    }

    # The hook's role: its log group, the new version (only), X-Ray, and status reports to this
    # deployment group (only).
    hook_role_id = properties["Role"]["Fn::GetAtt"][0]
    hook_role = resources_of(template, "AWS::IAM::Role")[hook_role_id]["Properties"]
    assert hook_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "ManagedPolicyArns" not in hook_role
    policies = {
        resource["Properties"]["Roles"][0]["Ref"]: resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in resources_of(template, "AWS::IAM::Policy").values()
    }
    assert policies[hook_role_id] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Ref": version_id}},
        {"Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Effect": "Allow", "Resource": "*"},
        {
            "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:codedeploy:us-east-1:111111111111:deploymentgroup:",
                        {"Ref": application_id},
                        "/",
                        {"Ref": group_id},
                    ],
                ]
            },
        },
    ]
    # CodeDeploy's role may invoke the hook (and nothing else beyond its managed policy).
    codedeploy_role_id = group["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]
    hook_arn = {"Fn::GetAtt": [hook_id, "Arn"]}
    assert policies[codedeploy_role_id] == [
        {
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": [hook_arn, {"Fn::Join": ["", [hook_arn, ":*"]]}],
        }
    ]
    # The alias update runs the hook first; the hook is updated (new target version) before it.
    assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"] == {"Ref": hook_id}
    assert {hook_id, hook_role_id, log_group_id} <= set(alias["DependsOn"])
    assert group["Properties"]["DeploymentConfigName"] == "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"
    assert function_id != hook_id


def test_provisioned_concurrency_follows_utilisation_from_the_minimum(rollout_mask: Synth) -> None:
    _, template = rollout_mask
    alias_id, alias = only(template, "AWS::Lambda::Alias")
    function_id, _ = workload_function(template)
    # The alias is deployed with the minimum; Application Auto Scaling moves it from there.
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    target_id, target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    properties = target["Properties"]
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (2, 10)
    assert properties["ServiceNamespace"] == "lambda"
    assert properties["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
    assert properties["RoleARN"].endswith(
        ":role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
    )
    assert json.dumps(properties["ResourceId"]).count(json.dumps({"Ref": alias_id})) == 1
    assert properties["ResourceId"]["Fn::Join"][1][-1] == ":live"
    _, policy = only(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    assert policy["Properties"]["ScalingTargetId"] == {"Ref": target_id}
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
        "TargetValue": 0.6,
    }
    # Keep-warm still pings the alias (its provisioned environments answer it).
    _, rule = only(template, "AWS::Events::Rule")
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Ref": alias_id}]
    assert function_id in json.dumps(alias)


def test_rollout_variant_has_no_unacknowledged_findings(rollout_mask: Synth) -> None:
    stack, _ = rollout_mask
    report = json.loads((Path(stack.node.root.outdir) / "validation-report.json").read_text())
    assert all(not plugin["violations"] for plugin in report["pluginReports"])


def test_synth_report_shows_rollout_and_provisioned_concurrency(rollout_mask: Synth, prod_mask: Synth) -> None:
    for synth, expected in (
        (rollout_mask, ("2..10 @ 60%", "linear 10% every 2 min + health hook")),
        (prod_mask, ("off", "canary 10% 5 min")),
    ):
        stack, _ = synth
        assembly = CloudAssembly(Path(stack.node.root.outdir))
        resources = assembly.template(stack.stack_name)["Resources"]
        (fn,) = [fn for fn in assembly.functions() if fn.stack_name == stack.stack_name]
        assert (provisioned_concurrency(fn, resources), rollout_strategy(fn, resources)) == expected
    stack, _ = rollout_mask
    rows = report_rows(CloudAssembly(Path(stack.node.root.outdir)), requests=0, duration_ms=50)
    by_stack = {row[0]: row for row in rows}
    assert by_stack["MaskPredictor-dev"][-2:] == ("2..10 @ 60%", "linear 10% every 2 min + health hook")
    assert by_stack["Sentiment-dev"][-2:] == ("off", "all at once")
    # The autoscaled minimum is billed: 2 x 0.5 GB all month on x86_64 (the pings add cents).
    assert float(by_stack["MaskPredictor-dev"][9]) == pytest.approx(2 * 0.5 * 730 * 3600 * 0.0000041667, abs=0.05)

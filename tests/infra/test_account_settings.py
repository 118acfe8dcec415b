"""Account-wide settings stay out of workload stacks: API Gateway's CloudWatch role and the
AWS::ApiGateway::Account setting live only in the opt-in Account-<env> stack, retained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import WorkloadStacks
from stacks.settings import ENVIRONMENTS
from tests.support.cfn_lint import cfn_lint, described
from tests.support.templates import only_resource

APIGATEWAY = "apigateway.amazonaws.com"
PUSH_TO_CLOUDWATCH_LOGS = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
    ]
}


def roles_trusting(template: Template, service: str) -> list[str]:
    return [
        logical_id
        for logical_id, role in template.find_resources("AWS::IAM::Role").items()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if statement.get("Principal", {}).get("Service") == service
    ]


@pytest.mark.parametrize("fixture", ["dev_checkbox", "prod_checkbox", "iam_checkbox"])
def test_checkbox_stack_owns_no_account_setting_and_no_api_gateway_role(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    _, template = request.getfixturevalue(fixture)
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    assert roles_trusting(template, APIGATEWAY) == []
    api = only_resource(template, "AWS::ApiGateway::RestApi")
    assert "DependsOn" not in api  # CDK's cloudWatchRole makes the API depend on the account setting


@pytest.mark.parametrize("fixture", ["dev_app", "prod_app"])
def test_no_stack_of_dev_or_prod_touches_the_account_setting(fixture: str, request: pytest.FixtureRequest) -> None:
    """Off in both environments (EnvironmentSettings.api_gateway_account_logging): the four workloads only."""
    app: WorkloadStacks = request.getfixturevalue(fixture)
    assert app.account is None and len(app.all()) == 4
    for stack in app.all():
        template = Template.from_stack(stack)
        template.resource_count_is("AWS::ApiGateway::Account", 0)
        assert roles_trusting(template, APIGATEWAY) == []


@pytest.mark.parametrize("fixture", ["dev_checkbox", "prod_checkbox", "iam_checkbox"])
def test_stage_keeps_access_logs_without_execution_logging(fixture: str, request: pytest.FixtureRequest) -> None:
    _, template = request.getfixturevalue(fixture)
    stage = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]
    (method_settings,) = stage["MethodSettings"]
    assert method_settings["LoggingLevel"] == "OFF" and method_settings["DataTraceEnabled"] is False
    assert method_settings["MetricsEnabled"] is True
    log_group_ref = stage["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1][1]
    assert template.to_json()["Resources"][log_group_ref["Ref"]]["Type"] == "AWS::Logs::LogGroup"
    assert json.loads(stage["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"


def test_account_stack_holds_exactly_the_retained_role_and_account_setting(account_logging_app: WorkloadStacks) -> None:
    assert account_logging_app.account is not None
    assert account_logging_app.account.stack_name == "Account-dev"
    template = Template.from_stack(account_logging_app.account)
    resources = template.to_json()["Resources"]
    assert sorted(resource["Type"] for resource in resources.values()) == [
        "AWS::ApiGateway::Account",
        "AWS::CDK::Metadata",
        "AWS::IAM::Role",
    ]
    (role_id,) = roles_trusting(template, APIGATEWAY)
    role = resources[role_id]
    assert (role["DeletionPolicy"], role["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": APIGATEWAY}}
    ]
    assert role["Properties"]["ManagedPolicyArns"] == [PUSH_TO_CLOUDWATCH_LOGS]
    assert "Policies" not in role["Properties"]
    account = only_resource(template, "AWS::ApiGateway::Account")
    assert (account["DeletionPolicy"], account["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert account["Properties"] == {"CloudWatchRoleArn": {"Fn::GetAtt": [role_id, "Arn"]}}
    assert account_logging_app.account.account == ENVIRONMENTS["dev"].account


def test_account_stack_is_deployed_before_the_checkbox_stack_and_nothing_else_changes(
    account_logging_app: WorkloadStacks, dev_app: WorkloadStacks
) -> None:
    assert account_logging_app.account in account_logging_app.checkbox.dependencies
    for name in ("mask_predictor", "sentiment", "batch_predict"):
        assert getattr(account_logging_app, name).dependencies == []
    # The workload templates do not reference the account stack: it can be deployed on its own.
    checkbox = json.dumps(Template.from_stack(account_logging_app.checkbox).to_json())
    assert "Fn::ImportValue" not in checkbox
    Template.from_stack(account_logging_app.checkbox).resource_count_is("AWS::ApiGateway::Account", 0)
    assert len(account_logging_app.all()) == len(dev_app.all()) + 1


def test_execution_logging_turns_on_errors_only_once_settings_say_the_role_is_there(
    account_logging_app: WorkloadStacks,
) -> None:
    template = Template.from_stack(account_logging_app.checkbox)
    (method_settings,) = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]["MethodSettings"]
    assert method_settings["LoggingLevel"] == "ERROR"
    assert method_settings["DataTraceEnabled"] is False  # request bodies (images) are never logged


def test_account_stack_passes_cdk_nag_and_cfn_lint(account_logging_app: WorkloadStacks) -> None:
    assert account_logging_app.account is not None
    outdir = Path(account_logging_app.account.node.root.outdir)
    report = json.loads((outdir / "validation-report.json").read_text())
    assert all(not plugin["violations"] for plugin in report["pluginReports"])
    templates = [
        outdir / f"{stack.stack_name}.template.json"
        for stack in (account_logging_app.account, account_logging_app.checkbox)
    ]
    findings = cfn_lint(templates, ENVIRONMENTS["dev"].region)
    assert findings == [], described(findings)

"""Fine-grained assertions on the mask predictor's synthesized template."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from stacks.common.packages import PYTHON_RUNTIME
from tests.support.templates import Synth, alarm_conditions, function_alarm_conditions, logical_id, only_resource


def test_function_runs_newest_python_on_settings_architecture_and_size(dev_mask: Synth) -> None:
    _, template = dev_mask
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "mask-predictor-dev",
            "Runtime": PYTHON_RUNTIME.name,
            "Architectures": ["x86_64"],
            "Handler": "mask_predictor.handler.lambda_handler",
            "MemorySize": 512,
            "Timeout": 30,
            "TracingConfig": {"Mode": "Active"},
        },
    )


def test_function_environment_points_at_model_layer_and_limits(dev_mask: Synth) -> None:
    _, template = dev_mask
    function = only_resource(template, "AWS::Lambda::Function")
    assert function["Properties"]["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "mask_predictor",
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "MODEL_DIR": "/opt/mask_predictor_model",
        "MAX_BATCH_NAMES": "1000",
        "MAX_NAME_CHARS": "200",
        "MAX_REQUEST_BYTES": "262144",
    }
    assert function["Properties"]["Layers"] == [{"Ref": logical_id(template, "AWS::Lambda::LayerVersion")}]


def test_logs_go_to_own_group_as_json_with_retention(dev_mask: Synth, prod_mask: Synth) -> None:
    _, dev = dev_mask
    _, prod = prod_mask
    dev.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/lambda/mask-predictor-dev", "RetentionInDays": 14}
    )
    prod.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/lambda/mask-predictor-prod", "RetentionInDays": 90}
    )
    dev.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "LoggingConfig": {
                "LogFormat": "JSON",
                "LogGroup": {"Ref": logical_id(dev, "AWS::Logs::LogGroup")},
                "ApplicationLogLevel": "INFO",
                "SystemLogLevel": "WARN",
            }
        },
    )


def test_role_is_its_own_and_trusts_only_lambda_with_no_managed_policies(dev_mask: Synth) -> None:
    _, template = dev_mask
    function = only_resource(template, "AWS::Lambda::Function")
    role_id, _ = function["Properties"]["Role"]["Fn::GetAtt"]
    roles = template.find_resources("AWS::IAM::Role")
    role = roles.pop(role_id)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    # The only other role is CodeDeploy's, for the alias' rollout (tests/infra/test_rollout.py).
    (other,) = roles.values()
    assert other["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "codedeploy.amazonaws.com"
    }


def test_role_policy_has_exactly_log_writing_and_tracing(dev_mask: Synth) -> None:
    _, template = dev_mask
    policy = only_resource(template, "AWS::IAM::Policy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    log_group_arn = {"Fn::GetAtt": [logical_id(template, "AWS::Logs::LogGroup"), "Arn"]}
    assert statements == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": log_group_arn,
        },
        {  # sorted: cdk.json's minimizePolicies merges and orders statements' actions
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Effect": "Allow",
            "Resource": "*",
        },
    ]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), "no wildcard actions"


def test_alarms_on_errors_throttles_p99_duration_and_internal_errors(dev_mask: Synth) -> None:
    _, template = dev_mask
    # p99 duration: 80 % of the 30 s timeout, in ms
    assert alarm_conditions(template) == function_alarm_conditions(24000)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_every_alarm_notifies_the_stack_topic(dev_mask: Synth) -> None:
    _, template = dev_mask
    topic = {"Ref": logical_id(template, "AWS::SNS::Topic")}
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [topic]


def test_alarm_topic_enforces_tls_and_subscribes_email_only_when_set(dev_mask: Synth) -> None:
    _, template = dev_mask
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    template.resource_count_is("AWS::SNS::Subscription", 0)


def test_function_url_on_live_alias_requires_iam_auth(dev_mask: Synth) -> None:
    _, template = dev_mask
    url = only_resource(template, "AWS::Lambda::Url")
    assert url["Properties"]["AuthType"] == "AWS_IAM"
    assert url["Properties"]["Qualifier"] == "live"
    template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    # No permission lets anyone invoke the URL without signing.
    for permission in template.find_resources("AWS::Lambda::Permission").values():
        assert permission["Properties"].get("FunctionUrlAuthType") != "NONE"


def test_keep_warm_is_off_in_dev_and_every_5_minutes_in_prod(dev_mask: Synth, prod_mask: Synth) -> None:
    _, dev = dev_mask
    _, prod = prod_mask
    dev.resource_count_is("AWS::Events::Rule", 0)
    rule = only_resource(prod, "AWS::Events::Rule")
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert json.loads(target["Input"]) == {"action": "keep_warm"}
    assert target["Arn"] == {"Ref": logical_id(prod, "AWS::Lambda::Alias")}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0
    prod.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"},
    )


def test_opt_ins_provisioned_concurrency_arm64_and_vpc(tuned_mask: Synth) -> None:
    _, template = tuned_mask
    template.has_resource_properties(
        "AWS::Lambda::Alias",
        {"Name": "live", "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}},
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Architectures": ["arm64"],
            "VpcConfig": {
                "SubnetIds": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
                "SecurityGroupIds": [{"Fn::GetAtt": [logical_id(template, "AWS::EC2::SecurityGroup"), "GroupId"]}],
            },
        },
    )
    template.has_resource_properties("AWS::Lambda::LayerVersion", {"CompatibleArchitectures": ["arm64"]})
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(7 minutes)"})
    template.resource_count_is("AWS::Lambda::Url", 0)
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": "oncall@example.com",
            "TopicArn": {"Ref": logical_id(template, "AWS::SNS::Topic")},
        },
    )


def test_outputs_give_callers_name_arn_and_url(dev_mask: Synth) -> None:
    _, template = dev_mask
    outputs = template.to_json()["Outputs"]
    values = {key.rstrip("0123456789ABCDEF"): output["Value"] for key, output in outputs.items()}
    assert values["PredictorFunctionName"] == {"Ref": logical_id(template, "AWS::Lambda::Function")}
    assert values["PredictorFunctionArn"] == {"Ref": logical_id(template, "AWS::Lambda::Alias")}
    assert values["PredictorFunctionUrl"] == {"Fn::GetAtt": [logical_id(template, "AWS::Lambda::Url"), "FunctionUrl"]}


def test_stack_targets_the_settings_account_and_region(dev_mask: Synth) -> None:
    stack, _ = dev_mask
    assert (stack.account, stack.region) == ("111111111111", "us-east-1")

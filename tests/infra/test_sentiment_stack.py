"""The sentiment stack: a container-image function whose image, platform and settings agree."""

from __future__ import annotations

import json

from stacks.common.packages import PYTHON_VERSION
from stacks.common.paths import REPO_ROOT
from tests.support.templates import (
    Synth,
    alarm_conditions,
    function_alarm_conditions,
    function_definition,
    logical_id,
    only_resource,
)
from tools.dockerfile import runtime_stage
from tools.local_lambda import load_handler

DOCKERFILE = REPO_ROOT / "functions" / "sentiment" / "Dockerfile"


def test_image_function_sized_from_settings(dev_sentiment: Synth) -> None:
    _, template = dev_sentiment
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    assert function["PackageType"] == "Image"
    assert "Handler" not in function and "Runtime" not in function
    assert (function["MemorySize"], function["Timeout"], function["Architectures"]) == (2048, 60, ["x86_64"])
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "sentiment",
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "MAX_TEXTS": "256",
        "MAX_TEXT_CHARS": "5000",
        "BATCH_SIZE": "16",
    }


def test_image_platform_follows_the_architecture_setting(dev_sentiment: Synth, tuned_sentiment: Synth) -> None:
    for synth, architecture, platform in (
        (dev_sentiment, "x86_64", "linux/amd64"),
        (tuned_sentiment, "arm64", "linux/arm64"),
    ):
        fn = function_definition(synth, "sentiment")
        assert fn.architecture == architecture
        assert fn.image is not None and fn.image.platform == platform


def test_dockerfile_runtime_stage_agrees_with_the_stack() -> None:
    stage = runtime_stage(DOCKERFILE)
    # Same Python as the ZIP functions, from AWS's Lambda base image (Amazon Linux 2023).
    assert stage.base_image == f"public.ecr.aws/lambda/python:{PYTHON_VERSION}"
    # No platform pinned in the Dockerfile: the stack's setting is the one source of truth.
    assert stage.platform is None
    assert stage.cmd == ["sentiment.handler.lambda_handler"]


def test_cmd_handler_string_resolves_to_the_real_handler(dev_sentiment: Synth, monkeypatch) -> None:
    fn = function_definition(dev_sentiment, "sentiment")
    assert fn.handler == "sentiment.handler.lambda_handler"
    monkeypatch.setenv("MODEL_DIR", str(REPO_ROOT / "fixtures" / "sentiment" / "model"))
    assert callable(load_handler(fn.handler))


def test_build_args_and_a_minimal_build_context(dev_sentiment: Synth, tuned_sentiment: Synth) -> None:
    dev = function_definition(dev_sentiment, "sentiment").image
    tuned = function_definition(tuned_sentiment, "sentiment").image
    assert dev is not None and tuned is not None
    assert dev.build_args == {
        "PYTHON_VERSION": PYTHON_VERSION,
        "MODEL_ID": "distilbert-base-uncased-finetuned-sst-2-english",
        "QUANTIZE": "true",
    }
    assert tuned.build_args["QUANTIZE"] == "false"
    assert dev.dockerfile == "functions/sentiment/Dockerfile"
    top_level = sorted(path.name for path in dev.context_dir.iterdir())
    assert top_level == ["functions", "requirements", "tools", "training"]
    assert [p.name for p in (dev.context_dir / "requirements").iterdir()] == ["export.txt"]
    assert [p.name for p in (dev.context_dir / "tools").iterdir()] == ["task_root.py"]
    assert sorted(p.name for p in (dev.context_dir / "functions").iterdir()) == ["lambda_common", "sentiment"]
    assert not list(dev.context_dir.rglob("__pycache__"))


def test_invoker_policy_allows_only_invoking_this_function(dev_sentiment: Synth) -> None:
    _, template = dev_sentiment
    policy = only_resource(template, "AWS::IAM::ManagedPolicy")["Properties"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": [
                {"Fn::GetAtt": [logical_id(template, "AWS::Lambda::Function"), "Arn"]},
                {"Ref": logical_id(template, "AWS::Lambda::Alias")},
            ],
        }
    ]
    exports = [o for o in template.to_json()["Outputs"].values() if "Export" in o]
    assert exports == [
        {
            "Description": "Attach to the caller's role: lambda:InvokeFunction on this function only",
            "Value": {"Ref": logical_id(template, "AWS::IAM::ManagedPolicy")},
            "Export": {"Name": "sentiment-dev-invoker-policy"},
        }
    ]


def test_budget_only_when_enabled_notifies_topic_for_tagged_costs(dev_sentiment: Synth, prod_sentiment: Synth) -> None:
    _, dev = dev_sentiment
    _, prod = prod_sentiment
    dev.resource_count_is("AWS::Budgets::Budget", 0)
    budget = only_resource(prod, "AWS::Budgets::Budget")["Properties"]
    assert budget["Budget"] == {
        "BudgetLimit": {"Amount": 1, "Unit": "USD"},
        "BudgetName": "sentiment-prod-monthly",
        "BudgetType": "COST",
        "CostFilters": {"TagKeyValue": ["user:workload$sentiment-prod"]},
        "TimeUnit": "MONTHLY",
    }
    topic = {"Ref": logical_id(prod, "AWS::SNS::Topic")}
    assert [n["Notification"]["NotificationType"] for n in budget["NotificationsWithSubscribers"]] == [
        "ACTUAL",
        "FORECASTED",
    ]
    for notification in budget["NotificationsWithSubscribers"]:
        assert notification["Notification"]["Threshold"] == 100
        assert notification["Subscribers"] == [{"Address": topic, "SubscriptionType": "SNS"}]
    statements = only_resource(prod, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "budgets.amazonaws.com"} and s["Action"] == "sns:Publish" for s in statements
    )
    function = only_resource(prod, "AWS::Lambda::Function")["Properties"]
    assert {"Key": "workload", "Value": "sentiment-prod"} in function["Tags"]


def test_budget_email_subscriber_when_set(tuned_sentiment: Synth) -> None:
    _, template = tuned_sentiment
    budget = only_resource(template, "AWS::Budgets::Budget")["Properties"]
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 25, "Unit": "USD"}
    assert {"Address": "finance@example.com", "SubscriptionType": "EMAIL"} in budget["NotificationsWithSubscribers"][0][
        "Subscribers"
    ]


def test_model_from_s3_sets_uri_and_grants_read_on_that_prefix_only(
    tuned_sentiment: Synth, dev_sentiment: Synth
) -> None:
    _, template = tuned_sentiment
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    assert function["Environment"]["Variables"]["MODEL_S3_URI"] == "s3://models-bucket/sentiment/v3/"
    statements = only_resource(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    s3_statements = [s for s in statements if "s3:" in json.dumps(s["Action"])]
    assert s3_statements == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::models-bucket/sentiment/v3/*"]]},
        }
    ]
    _, dev = dev_sentiment
    dev_statements = only_resource(dev, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    assert not [s for s in dev_statements if "s3:" in json.dumps(s["Action"])]


def test_alarms_and_keep_warm_come_from_the_shared_construct(prod_sentiment: Synth) -> None:
    _, template = prod_sentiment
    assert alarm_conditions(template) == function_alarm_conditions(48000)  # p99: 80 % of 60 s
    rule = only_resource(template, "AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"

"""The batch predictor stack: buckets, a prefix-scoped role, the S3 trigger and the Step Functions job.

Templates are synthesized with cdk.json's feature flags (tests/infra/synth.py), so these are the
templates `cdk synth` writes. CloudFormation references are shown readably: `<Data.Arn>`,
`<Alias>`..., named after the constructs of the stack under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template

from stacks.batch_predict import BatchPredictStack
from stacks.common.batch_job_payloads import BATCH_INPUT_FIELDS
from stacks.common.packages import PYTHON_VERSION
from stacks.common.paths import REPO_ROOT
from tests.support.templates import (
    Synth,
    alarm_conditions,
    alarm_metric,
    assert_private_encrypted_retained_bucket,
    function_alarm_conditions,
    function_definition,
    only_resource,
)
from tools.cloud_assembly import CloudAssembly
from tools.dockerfile import runtime_stage

DOCKERFILE = REPO_ROOT / "functions" / "batch_predict" / "Dockerfile"
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
]
# Every batch receives plan_job's batch_input copied field by field, each `<name>.$` reading
# `$.batch_input.<name>`. Which names: the stack's field list, which the function's tests hold
# to the keys plan_job returns (tests/functions/batch_predict/test_step_functions.py).
BATCH_INPUT = {f"{name}.$": f"$.batch_input.{name}" for name in BATCH_INPUT_FIELDS}


# --- reading templates -----------------------------------------------------------------------


def names(stack: Stack) -> dict[str, str]:
    """Logical id -> readable name, for the resources the assertions refer to."""
    assert isinstance(stack, BatchPredictStack)
    constructs: dict[str, Any] = {
        "Models": stack.buckets.models.bucket,
        "Data": stack.buckets.data.bucket,
        "Results": stack.buckets.results.bucket,
        "AccessLogs": stack.buckets.access_logs,
        "Function": stack.predictor.function,
        "Alias": stack.predictor.alias,
        "FunctionLogs": stack.predictor.log_group,
        "StateMachine": stack.job.state_machine,
        "StateMachineLogs": stack.job.log_group,
        "Topic": stack.node.find_child("Alarms").topic,
    }
    if stack.trigger is not None:
        constructs["FailedEvents"] = stack.trigger.failure_queue
    found = {}
    for name, construct in constructs.items():
        child = getattr(construct, "node", None) and construct.node.default_child
        if child is not None:
            found[stack.get_logical_id(child)] = name
    return found


def readable(value: Any, names: dict[str, str]) -> Any:
    """A template value with references written as <Name> / <Name.Attribute> and joins flattened."""
    if isinstance(value, list):
        return [readable(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return f"<{names.get(value['Ref'], value['Ref'])}>"
    if set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{names.get(resource, resource)}.{attribute}>"
    if set(value) == {"Fn::Join"}:
        delimiter, parts = value["Fn::Join"]
        return delimiter.join(str(readable(part, names)) for part in parts)
    if set(value) == {"Fn::Select"}:
        index, source = value["Fn::Select"]
        if set(source) == {"Fn::Split"}:
            return f"<{readable(source['Fn::Split'][1], names).strip('<>')} part {index}>"
    return {key: readable(item, names) for key, item in value.items()}


def view(synth: Synth) -> tuple[dict[str, Any], dict[str, str]]:
    stack, template = synth
    return template.to_json(), names(stack)


def resource_of(synth: Synth, name: str) -> dict[str, Any]:
    """The resource named `name` by `names()`, readable."""
    template, ids = view(synth)
    (logical_id,) = [key for key, value in ids.items() if value == name]
    return readable(template["Resources"][logical_id], ids)


def properties_of_type(synth: Synth, resource_type: str) -> list[dict[str, Any]]:
    """The readable properties of every resource of one type."""
    template, ids = view(synth)
    return [readable(r["Properties"], ids) for r in template["Resources"].values() if r["Type"] == resource_type]


def policy_statements(synth: Synth, role_name_part: str, policy_name_part: str = "DefaultPolicy") -> list[dict]:
    template, ids = view(synth)
    found = [
        readable(resource["Properties"]["PolicyDocument"]["Statement"], ids)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy" and role_name_part in logical_id and policy_name_part in logical_id
    ]
    assert len(found) == 1, f"expected one policy {role_name_part}*{policy_name_part}*, found {len(found)}"
    return found[0]


def definition(synth: Synth) -> dict[str, Any]:
    """The state machine's Amazon States Language, references made readable."""
    template, ids = view(synth)
    properties = only_resource(Template.from_json(template), "AWS::StepFunctions::StateMachine")["Properties"]
    text = readable(properties["DefinitionString"], ids)
    return json.loads(text)


# --- expected IAM statements ------------------------------------------------------------------


def listing(bucket: str, prefix_pattern: str) -> dict[str, Any]:
    """ListBucket on `bucket`, for keys under one prefix only."""
    return {
        "Action": "s3:ListBucket",
        "Condition": {"StringLike": {"s3:prefix": [prefix_pattern]}},
        "Effect": "Allow",
        "Resource": bucket,
    }


def writing_results(objects: str) -> dict[str, Any]:
    """Writing results: PutObject, and the multipart actions that large results need."""
    return {
        "Action": ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
        "Effect": "Allow",
        "Resource": objects,
    }


# Sending the trigger's failed events to the alias' on-failure queue.
SEND_FAILED_EVENTS = {
    "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
    "Effect": "Allow",
    "Resource": "<FailedEvents.Arn>",
}


# --- function ----------------------------------------------------------------------------------


def test_image_function_sized_from_settings_without_keep_warm(dev_batch: Synth, prod_batch: Synth) -> None:
    for synth, name in ((dev_batch, "batch-predict-dev"), (prod_batch, "batch-predict-prod")):
        function = resource_of(synth, "Function")["Properties"]
        assert function["FunctionName"] == name
        assert function["PackageType"] == "Image"
        assert (function["MemorySize"], function["Timeout"], function["Architectures"]) == (3008, 900, ["x86_64"])
        assert function["TracingConfig"] == {"Mode": "Active"}
        synth[1].resource_count_is("AWS::Events::Rule", 0)


def test_environment_is_exactly_the_contracts_variables(dev_batch: Synth) -> None:
    function = resource_of(dev_batch, "Function")["Properties"]
    assert function["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "batch_predict",
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "MODEL_BUCKET": "<Models>",
        "MODEL_PREFIX": "models/",
        "DATA_BUCKET": "<Data>",
        "DATA_PREFIX": "input/",
        "RESULTS_BUCKET": "<Results>",
        "RESULTS_PREFIX": "predictions/",
        "TRUSTED_PICKLE_PREFIXES": "s3://<Models>/models/trusted/",
        "BATCH_ROWS": "32768",
        "MULTIPART_PART_MB": "8",
        "MODEL_CACHE_SIZE": "2",
    }


def test_trigger_variables_only_with_the_trigger(triggered_batch: Synth) -> None:
    variables = resource_of(triggered_batch, "Function")["Properties"]["Environment"]["Variables"]
    assert {key: value for key, value in variables.items() if key.startswith("TRIGGER_")} == {
        "TRIGGER_MODEL_S3_URI": "s3://<Models>/models/trusted/churn/v3/model.joblib",
        "TRIGGER_FEATURE_COLUMNS": "tenure,monthly_charges",
        "TRIGGER_PREDICTION_COLUMN": "churn",
    }


def test_image_agrees_with_the_stack(dev_batch: Synth, triggered_batch: Synth) -> None:
    stage = runtime_stage(DOCKERFILE)
    assert stage.base_image == f"public.ecr.aws/lambda/python:{PYTHON_VERSION}"
    assert stage.platform is None  # the stack's architecture setting is the one source of truth
    assert stage.cmd == ["batch_predict.handler.lambda_handler"]
    dev, arm = function_definition(dev_batch, "batch_predict"), function_definition(triggered_batch, "batch_predict")
    assert dev.handler == "batch_predict.handler.lambda_handler"
    assert (
        dev.image is not None
        and dev.image.platform == "linux/amd64"
        and dev.image.build_args == {"PYTHON_VERSION": PYTHON_VERSION}
    )
    assert arm.architecture == "arm64" and arm.image is not None and arm.image.platform == "linux/arm64"
    assert dev.image.dockerfile == "functions/batch_predict/Dockerfile"
    assert sorted(p.name for p in dev.image.context_dir.iterdir()) == ["functions", "tools"]
    assert sorted(p.name for p in (dev.image.context_dir / "functions").iterdir()) == ["batch_predict", "lambda_common"]
    assert not list(dev.image.context_dir.rglob("__pycache__"))


def test_function_role_has_exactly_the_contracts_statements(dev_batch: Synth) -> None:
    assert policy_statements(dev_batch, "PredictorExecutionRole") == [
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow", "Resource": "<FunctionLogs.Arn>"},
        {"Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Effect": "Allow", "Resource": "*"},
        {"Action": "s3:GetObject", "Effect": "Allow", "Resource": ["<Data.Arn>/input/*", "<Models.Arn>/models/*"]},
        listing("<Models.Arn>", "models/*"),
        listing("<Data.Arn>", "input/*"),
        listing("<Results.Arn>", "predictions/*"),
        writing_results("<Results.Arn>/predictions/*"),
    ]
    role = resource_of(dev_batch, "Function")["Properties"]["Role"]
    assert role.startswith("<PredictorExecutionRole") and role.endswith(".Arn>")


def test_function_role_with_the_trigger_may_also_send_failed_events(triggered_batch: Synth) -> None:
    statements = policy_statements(triggered_batch, "PredictorExecutionRole")
    # Granted when the alias' EventInvokeConfig binds the queue as its on-failure destination.
    assert [s for s in statements if "sqs" in json.dumps(s)] == [SEND_FAILED_EVENTS]


# --- buckets -----------------------------------------------------------------------------------


def lifecycle_rules(abort_days: int, noncurrent_days: int) -> list[dict[str, Any]]:
    """The lifecycle of every created data bucket (models, data, results)."""
    return [
        {
            "Id": "abort-incomplete-multipart-uploads",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": abort_days},
            "Status": "Enabled",
        },
        {
            "Id": "expire-noncurrent-versions",
            "ExpiredObjectDeleteMarker": True,
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
            "Status": "Enabled",
        },
    ]


def test_created_buckets_are_private_tls_only_encrypted_versioned_logged_and_retained(dev_batch: Synth) -> None:
    buckets = [resource_of(dev_batch, name) for name in ("Models", "Data", "Results")]
    for bucket, log_prefix in zip(buckets, ("models/", "data/", "results/"), strict=True):
        assert_private_encrypted_retained_bucket(bucket)
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["LifecycleConfiguration"] == {"Rules": lifecycle_rules(abort_days=1, noncurrent_days=30)}
        assert properties["LoggingConfiguration"] == {
            "DestinationBucketName": "<AccessLogs>",
            "LogFilePrefix": log_prefix,
        }
    tls_only = {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
    }
    policies = {
        p["Bucket"]: p["PolicyDocument"]["Statement"] for p in properties_of_type(dev_batch, "AWS::S3::BucketPolicy")
    }
    assert set(policies) == {"<Models>", "<Data>", "<Results>", "<AccessLogs>"}
    for name in ("Models", "Data", "Results"):
        assert policies[f"<{name}>"] == [{**tls_only, "Resource": [f"<{name}.Arn>", f"<{name}.Arn>/*"]}]


def test_every_created_bucket_expires_noncurrent_versions_and_aborts_uploads_per_environment(
    dev_batch: Synth, prod_batch: Synth, triggered_batch: Synth
) -> None:
    for synth, abort_days, noncurrent_days in ((dev_batch, 1, 30), (prod_batch, 1, 90), (triggered_batch, 3, 30)):
        buckets = {name: resource_of(synth, name)["Properties"] for name in ("Models", "Data", "Results")}
        assert len(properties_of_type(synth, "AWS::S3::Bucket")) == 4  # the three and the access-log bucket
        for properties in buckets.values():
            assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
            assert properties["LifecycleConfiguration"]["Rules"] == lifecycle_rules(abort_days, noncurrent_days)


def test_access_log_bucket_takes_deliveries_from_the_three_buckets_only(dev_batch: Synth, prod_batch: Synth) -> None:
    for synth, days in ((dev_batch, 90), (prod_batch, 365)):
        logs = resource_of(synth, "AccessLogs")
        assert (logs["DeletionPolicy"], logs["UpdateReplacePolicy"]) == ("Retain", "Retain")
        properties = logs["Properties"]
        assert "LoggingConfiguration" not in properties
        # Unversioned on purpose (stacks/common/data_buckets.py): logs are written once and expire.
        assert "VersioningConfiguration" not in properties
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
        assert properties["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
        assert properties["LifecycleConfiguration"]["Rules"] == [
            {
                "Id": "expire-access-logs",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "ExpirationInDays": days,
                "Status": "Enabled",
            }
        ]
    (statements,) = [
        p["PolicyDocument"]["Statement"]
        for p in properties_of_type(dev_batch, "AWS::S3::BucketPolicy")
        if p["Bucket"] == "<AccessLogs>"
    ]
    deliveries = [s for s in statements if s["Effect"] == "Allow"]
    assert len(deliveries) == 3
    sources = (("Models", "models/"), ("Data", "data/"), ("Results", "results/"))
    for delivery, (source, prefix) in zip(deliveries, sources, strict=True):
        assert delivery == {
            "Action": "s3:PutObject",
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"<{source}.Arn>"},
                "StringEquals": {"aws:SourceAccount": "111111111111"},
            },
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Resource": f"<AccessLogs.Arn>/{prefix}*",
        }
    assert [s["Condition"] for s in statements if s["Effect"] == "Deny"] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_lifecycle_days_come_from_settings(triggered_batch: Synth) -> None:
    rules = resource_of(triggered_batch, "Results")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}


def test_bucket_names_are_outputs(dev_batch: Synth) -> None:
    template, ids = view(dev_batch)
    outputs = {key.rstrip("0123456789ABCDEF"): readable(o["Value"], ids) for key, o in template["Outputs"].items()}
    bucket_outputs = ("BucketsModelsBucketName", "BucketsDataBucketName", "BucketsResultsBucketName")
    assert {key: outputs[key] for key in bucket_outputs} == {
        "BucketsModelsBucketName": "<Models>",
        "BucketsDataBucketName": "<Data>",
        "BucketsResultsBucketName": "<Results>",
    }
    assert outputs["StateMachineArn"] == "<StateMachine>"
    assert outputs["PredictorFunctionArn"] == "<Alias>"


# --- existing buckets ----------------------------------------------------------------------------


def test_existing_buckets_are_imported_by_name_and_granted_by_prefix(existing_buckets_batch: Synth) -> None:
    _, template = existing_buckets_batch
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::S3::BucketPolicy", 0)
    variables = resource_of(existing_buckets_batch, "Function")["Properties"]["Environment"]["Variables"]
    assert {key: value for key, value in variables.items() if "BUCKET" in key or "S3" in key or "PICKLE" in key} == {
        "MODEL_BUCKET": "acme-ml-models",
        "DATA_BUCKET": "acme-ml-batch",
        "RESULTS_BUCKET": "acme-ml-batch",
        "TRUSTED_PICKLE_PREFIXES": "s3://acme-ml-models/sklearn/reviewed/,s3://acme-ml-legacy/pickles/",
        "TRIGGER_MODEL_S3_URI": "s3://acme-ml-models/sklearn/churn/model.skops",
    }
    statements = policy_statements(existing_buckets_batch, "PredictorExecutionRole")
    expected = [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            # The reviewed/ pickles lie inside the model prefix already; legacy/ is granted on its own.
            "Resource": [
                "arn:aws:s3:::acme-ml-batch/incoming/*",
                "arn:aws:s3:::acme-ml-legacy/pickles/*",
                "arn:aws:s3:::acme-ml-models/sklearn/*",
            ],
        },
        listing("arn:aws:s3:::acme-ml-models", "sklearn/*"),
        listing("arn:aws:s3:::acme-ml-batch", "incoming/*"),
        listing("arn:aws:s3:::acme-ml-batch", "scored/*"),
        writing_results("arn:aws:s3:::acme-ml-batch/scored/*"),
        SEND_FAILED_EVENTS,
    ]
    # Besides the log group and X-Ray statements every function has (in whatever order CDK adds them).
    beyond_logs_and_tracing = [s for s in statements if "logs:" not in json.dumps(s) and "xray:" not in json.dumps(s)]
    assert len(statements) == len(expected) + 2
    assert sorted(map(json.dumps, beyond_logs_and_tracing)) == sorted(map(json.dumps, expected))


def test_trigger_on_an_existing_bucket_leaves_its_other_notifications_alone(existing_buckets_batch: Synth) -> None:
    _, template = existing_buckets_batch
    notifications = only_resource(template, "Custom::S3BucketNotifications")["Properties"]
    assert notifications["BucketName"] == "acme-ml-batch"
    assert notifications["Managed"] is False  # an imported bucket: only this stack's entries change
    configurations = notifications["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    prefixes = {
        rule["Value"] for c in configurations for rule in c["Filter"]["Key"]["FilterRules"] if rule["Name"] == "prefix"
    }
    assert prefixes == {"incoming/"}
    (handler_policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for key, p in template.to_json()["Resources"].items()
        if p["Type"] == "AWS::IAM::Policy" and "NotificationsHandlerPolicy" in key
    ]
    assert handler_policy == [
        {
            "Action": ["s3:GetBucketNotification", "s3:PutBucketNotification"],
            "Effect": "Allow",
            "Resource": "arn:aws:s3:::acme-ml-batch",
        }
    ]


# --- S3 trigger ----------------------------------------------------------------------------------


def test_no_trigger_unless_configured(dev_batch: Synth, prod_batch: Synth) -> None:
    trigger_types = ("Custom::S3BucketNotifications", "AWS::SQS::Queue", "AWS::Lambda::Permission")
    for synth in (dev_batch, prod_batch):
        _, template = synth
        for resource_type in trigger_types:
            template.resource_count_is(resource_type, 0)
        # The alias' bounds from the function settings: no retries, no failure destination.
        (config,) = properties_of_type(synth, "AWS::Lambda::EventInvokeConfig")
        assert config == {
            "FunctionName": "<Function>",
            "Qualifier": "<Alias part 7>",
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 60,
        }


def test_objects_created_under_the_data_prefix_invoke_the_live_alias(triggered_batch: Synth) -> None:
    (notifications,) = properties_of_type(triggered_batch, "Custom::S3BucketNotifications")
    assert notifications["BucketName"] == "<Data>"
    assert notifications["NotificationConfiguration"] == {
        "LambdaFunctionConfigurations": [
            {
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}, {"Name": "prefix", "Value": "input/"}]}
                },
                "LambdaFunctionArn": "<Alias>",
            }
            for suffix in (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".parquet")
        ]
    }
    (permission,) = [
        p
        for p in properties_of_type(triggered_batch, "AWS::Lambda::Permission")
        if p["Principal"] == "s3.amazonaws.com"
    ]
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": "<Alias>",
        "Principal": "s3.amazonaws.com",
        "SourceAccount": "111111111111",
        "SourceArn": "<Data.Arn>",
    }


def test_failed_trigger_events_go_to_an_encrypted_tls_only_queue_after_two_retries(triggered_batch: Synth) -> None:
    (config,) = properties_of_type(triggered_batch, "AWS::Lambda::EventInvokeConfig")
    assert config == {
        "FunctionName": "<Function>",
        "Qualifier": "<Alias part 7>",  # the alias name, taken from the alias' ARN
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": "<FailedEvents.Arn>"}},
    }
    queue = resource_of(triggered_batch, "FailedEvents")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (queue_policy,) = properties_of_type(triggered_batch, "AWS::SQS::QueuePolicy")
    assert queue_policy["Queues"] == ["<FailedEvents>"]
    assert queue_policy["PolicyDocument"]["Statement"] == [
        {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": "<FailedEvents.Arn>",
        }
    ]


def test_a_message_in_the_failure_queue_raises_an_alarm(triggered_batch: Synth) -> None:
    # cdk-monitoring-constructs' alarm (on the function's facade) names its metric as a
    # metric-math query: alarm_metric reads either form.
    (alarm,) = [
        {**p, **alarm_metric(p)}
        for p in properties_of_type(triggered_batch, "AWS::CloudWatch::Alarm")
        if alarm_metric(p)["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    checked = (
        "Namespace",
        "Statistic",
        "Threshold",
        "ComparisonOperator",
        "EvaluationPeriods",
        "Period",
        "TreatMissingData",
        "AlarmActions",
    )
    assert {key: alarm[key] for key in checked} == {
        "Namespace": "AWS/SQS",
        "Statistic": "Maximum",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "Period": 300,
        "TreatMissingData": "notBreaching",
        "AlarmActions": ["<Topic>"],
    }
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": "<FailedEvents.QueueName>"}]
    assert alarm["AlarmName"] == "batch-predict-dev-FailedTriggerEvents"


def test_dead_letter_acknowledgement_names_the_real_asynchronous_sources(
    dev_batch: Synth, triggered_batch: Synth
) -> None:
    """The one Serverless-LambdaDLQ acknowledgement on the function describes this function's
    asynchronous sources, not the synchronous-only default."""

    def closest_reason(synth: Synth) -> str:
        stack, _ = synth
        entries = [
            e.data
            for construct in (stack.predictor.function, stack.predictor.function.node.default_child)
            for e in construct.node.metadata
            if e.type == "aws:cdk:acknowledged-rules"
        ]
        rule = "Annotation::Serverless-LambdaDLQ"
        (reason,) = [data[rule] for data in entries if rule in data]
        return reason

    triggered = closest_reason(triggered_batch)
    assert "EventInvokeConfig retries them 2 times" in triggered and "SQS on-failure destination" in triggered
    assert "keep-warm pings are disposable" in triggered  # keep-warm is on in this fixture
    dev = closest_reason(dev_batch)
    assert "no S3 trigger is configured" in dev and "keep-warm" not in dev


# --- Step Functions --------------------------------------------------------------------------------


def test_state_machine_is_standard_traced_and_logs_everything_but_data(dev_batch: Synth, prod_batch: Synth) -> None:
    for synth, env, days in ((dev_batch, "dev", 14), (prod_batch, "prod", 90)):
        machine = resource_of(synth, "StateMachine")["Properties"]
        assert machine["StateMachineName"] == f"batch-predict-{env}"
        assert machine["StateMachineType"] == "STANDARD"
        assert machine["TracingConfiguration"] == {"Enabled": True}
        assert machine["LoggingConfiguration"] == {
            "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": "<StateMachineLogs.Arn>"}}],
            "IncludeExecutionData": False,
            "Level": "ALL",
        }
        logs = resource_of(synth, "StateMachineLogs")["Properties"]
        assert (logs["LogGroupName"], logs["RetentionInDays"]) == (f"/aws/vendedlogs/states/batch-predict-{env}", days)


def test_plan_then_choice_on_item_kind(dev_batch: Synth) -> None:
    asl = definition(dev_batch)
    assert asl["StartAt"] == "Plan job"
    assert asl["TimeoutSeconds"] == 24 * 3600
    assert set(asl["States"]) == {
        "Plan job",
        "Item kind?",
        "Predict CSV rows",
        "Predict S3 objects",
        "Unknown item kind",
        "Describe map run",
        "Report totals",
    }
    plan = asl["States"]["Plan job"]
    assert plan["Resource"] == "<Alias>"  # the live alias, its response is the state's output
    assert plan["Parameters"] == {"action": "plan_job", "job.$": "$"}
    assert plan["Retry"] == [
        {
            "ErrorEquals": LAMBDA_TRANSIENT_ERRORS,
            "IntervalSeconds": 2,
            "MaxAttempts": 6,
            "BackoffRate": 2,
            "JitterStrategy": "FULL",
        }
    ]
    assert plan["Next"] == "Item kind?" and "Catch" not in plan
    choice = asl["States"]["Item kind?"]
    assert choice["Choices"] == [
        {"Variable": "$.item_kind", "StringEquals": "csv_rows", "Next": "Predict CSV rows"},
        {"Variable": "$.item_kind", "StringEquals": "s3_objects", "Next": "Predict S3 objects"},
    ]
    assert choice["Default"] == "Unknown item kind"
    assert asl["States"]["Unknown item kind"]["Type"] == "Fail"


def assert_batch_processor(state: dict, name: str) -> None:
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert state["ItemProcessor"]["StartAt"] == name
    batch = state["ItemProcessor"]["States"][name]
    assert batch["Resource"] == "<Alias>" and "Parameters" not in batch  # the batch itself is the payload
    assert batch["Retry"][0]["ErrorEquals"] == LAMBDA_TRANSIENT_ERRORS  # never ValidationError
    assert batch["End"] is True


def test_csv_rows_map_reads_the_planned_key_in_batches_and_writes_a_manifest(dev_batch: Synth) -> None:
    state = definition(dev_batch)["States"]["Predict CSV rows"]
    assert state["Type"] == "Map" and state["Label"] == "CsvRows"
    assert state["ItemReader"] == {
        "Resource": "arn:<AWS::Partition>:states:::s3:getObject",
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "Parameters": {"Bucket": "<Data>", "Key.$": "$.data_key"},
    }
    assert state["ItemBatcher"] == {
        "MaxItemsPerBatch": 5000,
        "MaxInputBytesPerBatch": 196608,
        "BatchInput": BATCH_INPUT,
    }
    assert state["ResultWriter"] == {
        "Resource": "arn:<AWS::Partition>:states:::s3:putObject",
        "Parameters": {"Bucket": "<Results>", "Prefix": "predictions/_manifests"},
    }
    assert state["MaxConcurrency"] == 10
    assert "ToleratedFailurePercentage" not in state  # 0 %: any failed batch fails the job
    assert state["ResultPath"] == "$.map_run"
    assert state["Next"] == "Describe map run"
    assert_batch_processor(state, "Predict row batch")


def test_s3_objects_map_lists_the_planned_prefix(dev_batch: Synth) -> None:
    state = definition(dev_batch)["States"]["Predict S3 objects"]
    assert state["Label"] == "S3Objects"
    assert state["ItemReader"] == {
        "Resource": "arn:<AWS::Partition>:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": "<Data>", "Prefix.$": "$.data_prefix"},
    }
    assert state["ItemBatcher"] == {"MaxItemsPerBatch": 1, "BatchInput": BATCH_INPUT}
    assert state["ResultWriter"]["Parameters"] == {"Bucket": "<Results>", "Prefix": "predictions/_manifests"}
    assert state["Next"] == "Describe map run"
    assert_batch_processor(state, "Predict object batch")


def test_batching_concurrency_and_tolerance_come_from_settings(triggered_batch: Synth) -> None:
    asl = definition(triggered_batch)
    csv_rows, objects = asl["States"]["Predict CSV rows"], asl["States"]["Predict S3 objects"]
    batcher = csv_rows["ItemBatcher"]
    assert (batcher["MaxItemsPerBatch"], batcher["MaxInputBytesPerBatch"]) == (2000, 100_000)
    assert objects["ItemBatcher"]["MaxItemsPerBatch"] == 4
    for state in (csv_rows, objects):
        assert (state["MaxConcurrency"], state["ToleratedFailurePercentage"]) == (3, 5)
    assert asl["TimeoutSeconds"] == 6 * 3600


def test_final_states_report_describe_map_run_counts_and_the_manifest(dev_batch: Synth) -> None:
    states = definition(dev_batch)["States"]
    describe = states["Describe map run"]
    assert describe["Resource"] == "arn:<AWS::Partition>:states:::aws-sdk:sfn:describeMapRun"
    assert describe["Parameters"] == {"MapRunArn.$": "$.map_run.MapRunArn"}
    assert describe["ResultSelector"] == {
        "Status.$": "$.Status",
        "ItemCounts.$": "$.ItemCounts",
        "ExecutionCounts.$": "$.ExecutionCounts",
    }
    assert (describe["ResultPath"], describe["Next"]) == ("$.map_run_description", "Report totals")
    report = states["Report totals"]
    assert report["Type"] == "Pass" and report["End"] is True

    def counts(source: str) -> dict[str, str]:
        fields = {
            "succeeded": "Succeeded",
            "failed": "Failed",
            "timed_out": "TimedOut",
            "aborted": "Aborted",
            "total": "Total",
        }
        return {f"{key}.$": f"$.map_run_description.{source}.{field}" for key, field in fields.items()}

    assert report["Parameters"] == {
        "status.$": "$.map_run_description.Status",
        "item_kind.$": "$.item_kind",
        "items": counts("ItemCounts"),  # CSV rows or S3 objects
        "batches": counts("ExecutionCounts"),  # child workflow executions, one per batch
        "output_s3_prefix.$": "$.batch_input.output_s3_prefix",
        "manifest_s3_uri.$": (
            "States.Format('s3://{}/{}', $.map_run.ResultWriterDetails.Bucket, $.map_run.ResultWriterDetails.Key)"
        ),
    }


def test_state_machine_role_is_least_privilege(dev_batch: Synth) -> None:
    assert policy_statements(dev_batch, "JobStateMachineRole") == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": "<Alias>"},
        {
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": "<Results.Arn>/predictions/_manifests/*",
        },
        {"Action": "s3:GetObject", "Effect": "Allow", "Resource": "<Data.Arn>/input/*"},
        {
            "Action": "states:DescribeMapRun",
            "Effect": "Allow",
            "Resource": [
                "arn:aws:states:us-east-1:111111111111:mapRun:batch-predict-dev/CsvRows:*",
                "arn:aws:states:us-east-1:111111111111:mapRun:batch-predict-dev/S3Objects:*",
            ],
        },
        listing("<Data.Arn>", "input/*"),
        {
            # Log delivery and X-Ray: neither supports resource-level permissions.
            "Action": [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
            "Effect": "Allow",
            "Resource": "*",
        },
    ]
    execution = "arn:aws:states:us-east-1:111111111111:execution:<StateMachine part 6>"
    assert policy_statements(dev_batch, "JobStateMachine", "DistributedMapPolicy") == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": "<StateMachine>"},
        {
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Effect": "Allow",
            "Resource": f"{execution}:*",
        },
        {
            "Action": "states:RedriveExecution",
            "Effect": "Allow",
            "Resource": [f"{execution}/CsvRows:*", f"{execution}/S3Objects:*"],
        },
    ]


def test_alarms_cover_the_function_and_failed_jobs(dev_batch: Synth) -> None:
    _, template = dev_batch
    assert alarm_conditions(template) == function_alarm_conditions(720_000) | {  # p99: 80 % of 900 s
        ("AWS/States", "ExecutionsFailed", "Sum"): 0,
    }
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert len(alarm["Properties"]["AlarmActions"]) == 1


def test_every_variant_synthesizes_with_no_unacknowledged_findings(
    dev_batch: Synth, prod_batch: Synth, triggered_batch: Synth, existing_buckets_batch: Synth
) -> None:
    for stack, _ in (dev_batch, prod_batch, triggered_batch, existing_buckets_batch):
        report = json.loads((Path(stack.node.root.outdir) / "validation-report.json").read_text())
        assert all(not plugin["violations"] for plugin in report["pluginReports"])


def test_synth_report_lists_the_workload_function_not_cdks_notification_handler(triggered_batch: Synth) -> None:
    stack, template = triggered_batch
    assert len(template.find_resources("AWS::Lambda::Function")) == 2  # ours + CDK's BucketNotificationsHandler
    functions = list(CloudAssembly(Path(stack.node.root.outdir)).functions())
    # The assembly holds the whole app, as `cdk synth` writes it: this stack's rows only.
    assert [
        (fn.function_name, fn.package_type, fn.keep_warm_minutes)
        for fn in functions
        if fn.stack_name == stack.stack_name
    ] == [("batch-predict-dev", "Image", 10)]

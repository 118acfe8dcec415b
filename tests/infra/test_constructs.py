"""Each construct of stacks/common/ on its own, in a bare stack: what it creates and grants
without a workload stack around it (the stack tests check the same constructs in place)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from cdk_monitoring_constructs import ErrorCountThreshold, MonitoringFacade
from constructs import Construct

from stacks.common.alarm_topic import AlarmTopic
from stacks.common.batch_job_io import DataPrefixCsvReader, DataPrefixObjectsReader, ManifestWriter
from stacks.common.batch_job_payloads import BATCH_INPUT, BATCH_INPUT_FIELDS, REPORT
from stacks.common.batch_predictor_access import BatchPredictorAccess, no_dead_letter_queue_reason
from stacks.common.batch_state_machine import BatchStateMachine
from stacks.common.keep_warm import KEEP_WARM_EVENT, KeepWarm
from stacks.common.logical_ids import keep_logical_id, logical_id_at
from stacks.common.s3_prefix_access import S3Location
from stacks.common.s3_trigger import S3Trigger
from stacks.common.upload_bucket import UploadBucket
from stacks.common.workload_stack import EnvironmentStack, WorkloadStack
from stacks.settings import (
    ENVIRONMENTS,
    BatchStateMachineSettings,
    EnvironmentSettings,
    FunctionSettings,
    S3TriggerSettings,
)
from tests.support.templates import (
    alarm_conditions,
    alarm_metric,
    bare_stack,
    only_resource,
    probe_function,
    template_of,
)


def statements_of(stack: Stack, statements: list[iam.PolicyStatement]) -> list[dict[str, Any]]:
    return [stack.resolve(statement.to_statement_json()) for statement in statements]


def locations(stack: Stack) -> tuple[S3Location, S3Location, S3Location]:
    models, data, results = (s3.Bucket(stack, name) for name in ("Models", "Data", "Results"))
    return (
        S3Location(bucket=models, prefix="models/"),
        S3Location(bucket=data, prefix="input/"),
        S3Location(bucket=results, prefix="predictions/"),
    )


# --- the function construct --------------------------------------------------------------------


def test_inference_function_alone_has_its_role_logs_alias_and_alarms() -> None:
    built, template = template_of(probe_function)
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    assert (function["FunctionName"], function["MemorySize"], function["Timeout"]) == ("probe", 128, 3)
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert only_resource(template, "AWS::Lambda::Alias")["Properties"]["Name"] == "live"
    assert only_resource(template, "AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 30
    template.resource_count_is("AWS::Events::Rule", 0)  # keep-warm is opt-in
    assert set(alarm_conditions(template)) == {
        ("AWS/Lambda", "Errors", "Sum"),
        ("AWS/Lambda", "Throttles", "Sum"),
        ("AWS/Lambda", "Duration", "p99"),
        ("MlInference", "InternalErrors", "Sum"),
    }
    assert built.monitoring.internal_errors_alarm in built.monitoring.rollback_alarms


def test_inference_function_with_keep_warm_pings_its_live_alias() -> None:
    settings = FunctionSettings(memory_mb=256, timeout_seconds=10, keep_warm_minutes=4)
    built, template = template_of(lambda stack: probe_function(stack, settings=settings))
    rule = only_resource(template, "AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == "rate(4 minutes)"
    (target,) = rule["Targets"]
    alias_id = built.alias.stack.get_logical_id(built.alias.node.default_child)
    assert target["Arn"] == {"Ref": alias_id}  # the live alias, never $LATEST


def test_keep_warm_alone_sends_the_ping_once_and_drops_it_when_late() -> None:
    def build(stack: Stack) -> KeepWarm:
        target = lambda_.Function.from_function_arn(
            stack, "Target", "arn:aws:lambda:us-east-1:111111111111:function:probe:live"
        )
        return KeepWarm(stack, "KeepWarm", target=target, rate_minutes=5)

    _, template = template_of(build)
    (target,) = only_resource(template, "AWS::Events::Rule")["Properties"]["Targets"]
    assert json.loads(target["Input"]) == KEEP_WARM_EVENT == {"action": "keep_warm"}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 0}


# --- buckets and topics --------------------------------------------------------------------------


def test_upload_bucket_alone_expires_uploads_and_grants_its_prefix_only() -> None:
    def build(stack: Stack) -> UploadBucket:
        uploads = UploadBucket(stack, "Uploads", prefix="scans/", expire_after_days=2, access_log_retention_days=7)
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        uploads.grant_presign_and_read(role)
        return uploads

    uploads, template = template_of(build)
    template.resource_count_is("AWS::S3::Bucket", 2)  # the uploads and their access logs
    bucket_id = uploads.bucket.stack.get_logical_id(uploads.bucket.node.default_child)
    rules = template.to_json()["Resources"][bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "expire-uploads", "Prefix": "scans/", "ExpirationInDays": 2, "Status": "Enabled"} in rules
    (statement,) = only_resource(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["s3:PutObject", "s3:GetObject"]
    assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/scans/*"]]}


def test_alarm_topic_alone_is_tls_only_and_mails_only_when_asked() -> None:
    _, quiet = template_of(lambda stack: AlarmTopic(stack, "Alarms", email=None))
    _, mailing = template_of(lambda stack: AlarmTopic(stack, "Alarms", email="oncall@example.com"))
    quiet.resource_count_is("AWS::SNS::Subscription", 0)
    assert only_resource(mailing, "AWS::SNS::Subscription")["Properties"]["Endpoint"] == "oncall@example.com"
    quiet.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Effect": "Deny"})])}},
    )


# --- the stacks' base ---------------------------------------------------------------------------


class _Untagged(WorkloadStack):
    DESCRIPTION = "d"
    RESOURCE_PREFIX = "w"

    def compose(self, settings: EnvironmentSettings) -> None:
        self.composed_for = settings.name


class _Tagged(_Untagged):
    COST_TAG = True


class _AccountWide(EnvironmentStack):
    DESCRIPTION = "account-wide"

    def compose(self, settings: EnvironmentSettings) -> None:
        pass


def test_workload_stack_deploys_to_the_environment_with_a_topic_and_optional_cost_tag() -> None:
    settings = ENVIRONMENTS["prod"]
    app = App()
    tagged = _Tagged(app, "Tagged", settings=settings)
    untagged = _Untagged(app, "Untagged", settings=settings)
    account = _AccountWide(app, "Account", settings=settings)
    assert (tagged.account, tagged.region, tagged.resource_name) == (settings.account, settings.region, "w-prod")
    assert tagged.composed_for == "prod" and tagged.alarm_topic is not None  # the topic exists before compose
    assert (account.account, account.region) == (settings.account, settings.region)
    assert not hasattr(account, "alarm_topic")  # account-wide: no workload, no topic
    assert Template.from_stack(tagged).to_json()["Description"] == "d"
    topic = only_resource(Template.from_stack(tagged), "AWS::SNS::Topic")
    assert {"Key": "workload", "Value": "w-prod"} in topic["Properties"]["Tags"]
    assert "Tags" not in only_resource(Template.from_stack(untagged), "AWS::SNS::Topic").get("Properties", {})


# --- the batch predictor's pieces -----------------------------------------------------------------


def test_batch_predictor_access_alone_reads_models_and_data_and_writes_results() -> None:
    stack = bare_stack()
    models, data, results = locations(stack)
    settings = ENVIRONMENTS["dev"].batch_predict
    access = BatchPredictorAccess(stack, "Access", settings=settings, models=models, data=data, results=results)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    access.grant(role)
    assert set(access.environment) == {
        "MODEL_BUCKET",
        "MODEL_PREFIX",
        "DATA_BUCKET",
        "DATA_PREFIX",
        "RESULTS_BUCKET",
        "RESULTS_PREFIX",
        "TRUSTED_PICKLE_PREFIXES",
        "BATCH_ROWS",
        "MULTIPART_PART_MB",
        "MODEL_CACHE_SIZE",
    }
    assert len(access.trusted_pickles) == 1  # models/trusted/, inside the model prefix: no extra grant
    statements = only_resource(Template.from_stack(stack), "AWS::IAM::Policy")["Properties"]["PolicyDocument"][
        "Statement"
    ]
    actions = [statement["Action"] for statement in statements]
    assert actions == [
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucket",
        "s3:ListBucket",
        ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    ]


def test_batch_predictor_access_names_trigger_variables_and_sources_only_with_a_trigger() -> None:
    stack = bare_stack()
    models, data, results = locations(stack)
    base = ENVIRONMENTS["dev"].batch_predict
    triggered = replace(base, trigger=S3TriggerSettings(model_key="m.skops", feature_columns=("a", "b")))
    access = BatchPredictorAccess(stack, "Access", settings=triggered, models=models, data=data, results=results)
    assert access.environment["TRIGGER_FEATURE_COLUMNS"] == "a,b"
    assert access.environment["TRIGGER_PREDICTION_COLUMN"] == "prediction"
    assert "no S3 trigger is configured" in no_dead_letter_queue_reason(base)
    assert "retries them 2 times" in no_dead_letter_queue_reason(triggered)


def test_item_readers_and_manifest_writer_grant_one_prefix_each() -> None:
    stack = bare_stack()
    _, data, results = locations(stack)
    csv = DataPrefixCsvReader(data=data, key="input/rows.csv").provide_policy_statements()
    objects = DataPrefixObjectsReader(data=data, prefix="input/").provide_policy_statements()
    manifests = ManifestWriter(manifests=results.child("_manifests/")).provide_policy_statements()
    data_id, results_id = (stack.get_logical_id(b.bucket.node.default_child) for b in (data, results))
    assert statements_of(stack, csv) == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [data_id, "Arn"]}, "/input/*"]]},
        }
    ]
    (listing,) = statements_of(stack, objects)
    assert listing["Action"] == "s3:ListBucket" and listing["Condition"] == {"StringLike": {"s3:prefix": ["input/*"]}}
    (writing,) = statements_of(stack, manifests)
    assert writing["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [results_id, "Arn"]}, "/predictions/_manifests/*"]]}


def test_job_payload_templates_copy_every_batch_input_field_and_report_counts() -> None:
    assert BATCH_INPUT == {f"{name}.$": f"$.batch_input.{name}" for name in BATCH_INPUT_FIELDS}
    assert (
        set(REPORT["items"])
        == set(REPORT["batches"])
        == {
            "succeeded.$",
            "failed.$",
            "timed_out.$",
            "aborted.$",
            "total.$",
        }
    )


def test_batch_state_machine_alone_is_standard_logged_and_alarms_through_the_facade() -> None:
    stack = bare_stack()
    _, data, results = locations(stack)
    target = lambda_.Function.from_function_arn(
        stack, "Target", "arn:aws:lambda:us-east-1:111111111111:function:p:live"
    )
    facade = MonitoringFacade(stack, "Monitoring")
    job = BatchStateMachine(
        stack,
        "Job",
        state_machine_name="job",
        target=target,
        data=data,
        results=results,
        settings=BatchStateMachineSettings(max_concurrency=3),
        log_retention_days=14,
        monitoring=facade,
    )
    template = Template.from_stack(stack)
    machine = only_resource(template, "AWS::StepFunctions::StateMachine")["Properties"]
    assert (machine["StateMachineName"], machine["StateMachineType"]) == ("job", "STANDARD")
    assert only_resource(template, "AWS::Logs::LogGroup")["Properties"] == {
        "LogGroupName": "/aws/vendedlogs/states/job",
        "RetentionInDays": 14,
    }
    alarm = only_resource(template, "AWS::CloudWatch::Alarm")["Properties"]
    assert alarm["AlarmName"] == "job-ExecutionsFailed"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert job.failed_alarm is not None
    assert job.manifests.prefix == "predictions/_manifests/"


def test_s3_trigger_alarms_on_the_functions_facade_once_it_invokes_it() -> None:
    stack = bare_stack()
    _, data, _ = locations(stack)
    trigger = S3Trigger(
        stack,
        "Trigger",
        source=data,
        suffixes=(".csv", ".parquet"),
        retry_attempts=1,
        max_event_age=Duration.hours(2),
        alarm_name_prefix="probe",
    )
    function = probe_function(stack, async_invoke=trigger.async_invoke)
    trigger.invoke(function)
    template = Template.from_stack(stack)
    (alarm,) = [
        alarm["Properties"]
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()
        if alarm_metric(alarm["Properties"])["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    assert (alarm["AlarmName"], alarm_metric(alarm)["Statistic"], alarm["TreatMissingData"]) == (
        "probe-FailedTriggerEvents",
        "Maximum",
        "notBreaching",
    )
    assert trigger.failure_alarm is not None
    notifications = only_resource(template, "Custom::S3BucketNotifications")["Properties"]["NotificationConfiguration"]
    assert len(notifications["LambdaFunctionConfigurations"]) == 2  # one per suffix
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 1,
            "MaximumEventAgeInSeconds": 7200,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}},
        },
    )


def test_logical_id_at_matches_cdks_own_for_nested_paths() -> None:
    stack = bare_stack()
    outer = Construct(stack, "Outer")
    inner = Construct(outer, "Inner-Name")
    topic = sns.Topic(inner, "Topic")
    queue = sqs.Queue(Construct(stack, "Same"), "Same")
    assert logical_id_at(inner, "Topic", "Resource") == stack.get_logical_id(topic.node.default_child)
    assert logical_id_at(stack, "Same", "Same", "Resource") == stack.get_logical_id(queue.node.default_child)


def test_a_moved_alarm_keeps_its_logical_id() -> None:
    stack = bare_stack()
    facade = MonitoringFacade(stack, "Monitoring")
    old_scope = Construct(stack, "Job")
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
    )
    facade.monitor_step_function(
        state_machine=machine, add_failed_execution_count_alarm={"Critical": ErrorCountThreshold(max_error_count=0)}
    )
    alarm = facade.created_alarms()[-1].alarm
    keep_logical_id(alarm, scope=old_scope, construct_id="ExecutionsFailedAlarm")
    assert list(Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")) == [
        "JobExecutionsFailedAlarm2802BFB2"
    ]

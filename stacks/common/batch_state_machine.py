"""A Step Functions job for inputs too large for one 15-minute invocation.

    Plan job (Lambda: validates the job, picks the item kind)
      -> Item kind? csv_rows:   Distributed Map over the rows of one CSV object, in batches
                    s3_objects: Distributed Map over the objects under a prefix
      -> Describe map run (DescribeMapRun) -> Report totals

Each batch is one synchronous invoke of the function's `live` alias; the function writes its
own predictions (deterministic part names, so a retried batch overwrites itself). The Map's
ResultWriter writes a manifest of every batch's result under the results prefix. The final
state reports DescribeMapRun's item and child-execution counts and where the manifest is.

The role is least privilege: CDK's item readers and result writer would grant s3:GetObject,
s3:ListBucket and s3:PutObject on whole buckets, so they are subclassed here to grant only the
data prefix and the manifest prefix.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.log_group import RETENTION_BY_DAYS
from stacks.common.nag_finding import wildcard_resource_rule, wildcard_resources
from stacks.common.s3_prefix_access import S3Location, list_prefix, read_objects
from stacks.settings import BatchStateMachineSettings

# Without this flag DistributedMap silently ignores `result_writer_v2`; pinned here so the job
# always writes its manifest, whatever the app's cdk.json says.
RESULT_WRITER_V2_FLAG = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"
MANIFESTS_SUBPREFIX = "_manifests"  # under the results prefix: <results prefix>_manifests/<map run>/
# The keys of plan_job's `batch_input`, passed on to every batch as BatchInput. A JSONPath
# BatchInput is a payload template, field by field: plan_job must return every one of these keys
# (null where it does not apply), or the Map state fails with States.Runtime.
BATCH_INPUT_FIELDS = (
    "item_kind",
    "model_s3_uri",
    "output_s3_prefix",
    "prediction_column_name",
    "feature_columns",
    "include_probabilities",
    "output_format",
    "data_bucket",
    "data_prefix",
)
# Lambda's own transient failures and throttling; a function error (ValidationError...) is final.
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
)
CSV_ROWS_LABEL = "CsvRows"
S3_OBJECTS_LABEL = "S3Objects"


class _DataPrefixCsvReader(sfn.S3CsvItemReader):
    """Rows of one CSV object under the data prefix; reading is granted on that prefix only."""

    def __init__(self, *, data: S3Location, key: str) -> None:
        super().__init__(bucket=data.bucket, key=key, csv_headers=sfn.CsvHeaders.use_first_row())
        self._data = data

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [read_objects([self._data.objects_arn])]


class _DataPrefixObjectsReader(sfn.S3ObjectsItemReader):
    """The objects under a prefix inside the data prefix; listing is granted for that prefix only."""

    def __init__(self, *, data: S3Location, prefix: str) -> None:
        super().__init__(bucket=data.bucket, prefix=prefix)
        self._data = data

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [list_prefix(self._data)]


class _ManifestWriter(sfn.ResultWriterV2):
    """The Map run's manifest and result files, written under one prefix of the results bucket."""

    def __init__(self, *, manifests: S3Location) -> None:
        super().__init__(bucket=manifests.bucket, prefix=manifests.prefix.rstrip("/"))
        self._manifests = manifests

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        # What Step Functions documents for ResultWriter: multipart writes, and reads of its own files.
        return [
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                resources=[self._manifests.objects_arn],
            )
        ]


class BatchStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        target: lambda_.IFunction,
        data: S3Location,
        results: S3Location,
        settings: BatchStateMachineSettings,
        log_retention_days: int,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context(RESULT_WRITER_V2_FLAG, True)
        self._target = target
        self._data = data
        self._settings = settings
        self.manifests = results.child(f"{MANIFESTS_SUBPREFIX}/")

        plan = self._invoke(
            "Plan job",
            payload=sfn.TaskInput.from_object({"action": "plan_job", "job": sfn.JsonPath.entire_payload}),
            comment="Validates the job (URIs, model, CSV header) and decides how to split it",
        )
        csv_rows = self._distributed_map(
            "Predict CSV rows",
            batch_state_name="Predict row batch",
            label=CSV_ROWS_LABEL,
            reader=_DataPrefixCsvReader(data=data, key=sfn.JsonPath.string_at("$.data_key")),
            batcher=sfn.ItemBatcher(
                max_items_per_batch=settings.max_items_per_batch,
                max_input_bytes_per_batch=settings.max_input_bytes_per_batch,
                batch_input=_BATCH_INPUT,
            ),
        )
        s3_objects = self._distributed_map(
            "Predict S3 objects",
            batch_state_name="Predict object batch",
            label=S3_OBJECTS_LABEL,
            reader=_DataPrefixObjectsReader(data=data, prefix=sfn.JsonPath.string_at("$.data_prefix")),
            batcher=sfn.ItemBatcher(max_items_per_batch=settings.objects_per_batch, batch_input=_BATCH_INPUT),
        )
        # DescribeMapRun on this state machine's own map runs: mapRun:<name>/<Map label>:<run id>.
        self._map_run_arns = [
            Stack.of(self).format_arn(
                service="states",
                resource="mapRun",
                resource_name=f"{state_machine_name}/{label}:*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for label in (CSV_ROWS_LABEL, S3_OBJECTS_LABEL)
        ]
        describe = self._describe_map_run()
        report = sfn.Pass(self, "Report totals", parameters=_REPORT)
        csv_rows.next(describe)
        s3_objects.next(describe)
        describe.next(report)
        definition = plan.next(
            sfn.Choice(self, "Item kind?")
            .when(sfn.Condition.string_equals("$.item_kind", "csv_rows"), csv_rows)
            .when(sfn.Condition.string_equals("$.item_kind", "s3_objects"), s3_objects)
            .otherwise(sfn.Fail(self, "Unknown item kind", error="UnknownItemKind",
                                cause="plan_job returned an item_kind other than csv_rows or s3_objects"))
        )

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            # The vended-logs path keeps the account's CloudWatch Logs resource policy small.
            log_group_name=f"/aws/vendedlogs/states/{state_machine_name}",
            retention=RETENTION_BY_DAYS[log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment="Batch predictions for inputs too large for one invocation",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(settings.timeout_hours),
            tracing_enabled=True,
            # Every event, without state inputs and outputs: CSV rows may be personal data.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self.failed_alarm = self.state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum").create_alarm(
            self,
            "ExecutionsFailedAlarm",
            alarm_name=f"{state_machine_name}-ExecutionsFailed",
            alarm_description=f"A {state_machine_name} job failed: its execution history names the state and error.",
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))
        self._acknowledge_findings()

    def _invoke(self, name: str, *, payload: sfn.TaskInput | None = None, comment: str) -> tasks.LambdaInvoke:
        """A synchronous invoke of the alias whose result is the function's own return value."""
        invoke = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=self._target,
            payload=payload,
            payload_response_only=True,
            retry_on_service_exceptions=False,  # replaced by the retry below, which adds throttling
            comment=comment,
        )
        invoke.add_retry(
            errors=list(LAMBDA_TRANSIENT_ERRORS),
            interval=Duration.seconds(2),
            max_attempts=6,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        return invoke

    def _distributed_map(
        self, name: str, *, batch_state_name: str, label: str, reader: sfn.IItemReader, batcher: sfn.ItemBatcher
    ) -> sfn.DistributedMap:
        distributed_map = sfn.DistributedMap(
            self,
            name,
            label=label,
            item_reader=reader,
            item_batcher=batcher,
            max_concurrency=self._settings.max_concurrency,
            tolerated_failure_percentage=self._settings.tolerated_failure_percentage,
            result_writer_v2=_ManifestWriter(manifests=self.manifests),
            result_path="$.map_run",  # {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}
        )
        distributed_map.item_processor(
            self._invoke(batch_state_name, comment="Predicts one batch and writes its outputs"),
        )
        return distributed_map

    def _describe_map_run(self) -> tasks.CallAwsService:
        return tasks.CallAwsService(
            self,
            "Describe map run",
            service="sfn",
            action="describeMapRun",
            iam_action="states:DescribeMapRun",  # CDK would derive "states:describeMapRun"
            iam_resources=self._map_run_arns,
            parameters={"MapRunArn": sfn.JsonPath.string_at("$.map_run.MapRunArn")},
            # The SDK integration answers in PascalCase: ItemCounts / ExecutionCounts hold
            # Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total, ResultsWritten...
            result_selector={
                "Status.$": "$.Status",
                "ItemCounts.$": "$.ItemCounts",
                "ExecutionCounts.$": "$.ExecutionCounts",
            },
            result_path="$.map_run_description",
        )

    def _acknowledge_findings(self) -> None:
        policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            rule_id="AwsSolutions-IAM5[Resource::*]",
            reason=(
                "Step Functions' log delivery actions (logs:CreateLogDelivery...) and X-Ray's"
                " PutTraceSegments support no resource-level permissions; CDK adds exactly those."
            ),
        )
        for arn in self._map_run_arns:
            acknowledge(
                policy,
                rule_id=wildcard_resource_rule(self, arn),
                reason=(
                    "Map run ids are generated per execution; DescribeMapRun is limited to this state"
                    " machine's own labelled Map states."
                ),
            )
        for location, access in ((self._data, "reading CSV rows"), (self.manifests, "writing the Map run manifest")):
            acknowledge(
                policy,
                rule_id=wildcard_resource_rule(self, location.objects_arn),
                reason=f"Object keys are chosen per job; {access} is limited to this one prefix.",
            )
        # CDK's own grant for Distributed Map child workflows: Describe/Stop/RedriveExecution.
        distributed_map_policy = self.state_machine.node.find_child("DistributedMapPolicy")
        for resource in wildcard_resources(distributed_map_policy):
            acknowledge(
                distributed_map_policy,
                rule_id=f"AwsSolutions-IAM5[Resource::{resource}]",
                reason=(
                    "Executions of this state machine only (child workflows of its Distributed Maps);"
                    " execution ids are generated at run time."
                ),
            )


def _batch_input() -> dict[str, str]:
    """BatchInput: plan_job's batch_input, copied field by field."""
    return {f"{name}.$": f"$.batch_input.{name}" for name in BATCH_INPUT_FIELDS}


def _counts(source: str) -> dict[str, str]:
    return {
        key: f"{source}.{field}"
        for key, field in (
            ("succeeded.$", "Succeeded"),
            ("failed.$", "Failed"),
            ("timed_out.$", "TimedOut"),
            ("aborted.$", "Aborted"),
            ("total.$", "Total"),
        )
    }


_BATCH_INPUT = _batch_input()
# The job's answer: how many items (CSV rows or S3 objects) and batches (child executions)
# succeeded or failed, and where the manifest and the predictions are.
_REPORT = {
    "status.$": "$.map_run_description.Status",
    "item_kind.$": "$.item_kind",
    "items": _counts("$.map_run_description.ItemCounts"),
    "batches": _counts("$.map_run_description.ExecutionCounts"),
    "output_s3_prefix.$": "$.batch_input.output_s3_prefix",
    "manifest_s3_uri.$": (
        "States.Format('s3://{}/{}', $.map_run.ResultWriterDetails.Bucket, $.map_run.ResultWriterDetails.Key)"
    ),
}

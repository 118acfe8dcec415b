"""A Step Functions job for inputs too large for one 15-minute invocation.

    Plan job (Lambda: validates the job, picks the item kind)
      -> Item kind? csv_rows:   Distributed Map over the rows of one CSV object, in batches
                    s3_objects: Distributed Map over the objects under a prefix
      -> Describe map run (DescribeMapRun) -> Report totals

Each batch is one synchronous invoke of the function's `live` alias; the function writes its
own predictions (deterministic part names, so a retried batch overwrites itself). The Map's
ResultWriter writes a manifest of every batch's result under the results prefix. The final
state reports DescribeMapRun's item and child-execution counts and where the manifest is. A
failed job alarms through `monitoring` (the function's cdk-monitoring-constructs facade: its
alarm topic, and the job's widgets on its dashboard).

Its parts, one concern per file: the prefix-scoped item readers and result writer
(batch_job_io.py), the JSONPath templates (batch_job_payloads.py), the cdk-nag acknowledgements
(batch_job_findings.py).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_monitoring_constructs import ErrorCountThreshold, MonitoringFacade
from constructs import Construct

from stacks.common.batch_job_findings import acknowledge_job_findings
from stacks.common.batch_job_io import DataPrefixCsvReader, DataPrefixObjectsReader, ManifestWriter
from stacks.common.batch_job_payloads import BATCH_INPUT, REPORT, describe_map_run, map_run_arns
from stacks.common.log_group import log_group
from stacks.common.logical_ids import keep_logical_id
from stacks.common.s3_prefix_access import S3Location
from stacks.settings import BatchStateMachineSettings

# Without this flag DistributedMap silently ignores `result_writer_v2`; pinned here so the job
# always writes its manifest, whatever the app's cdk.json says.
RESULT_WRITER_V2_FLAG = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"
MANIFESTS_SUBPREFIX = "_manifests"  # under the results prefix: <results prefix>_manifests/<map run>/
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
        monitoring: MonitoringFacade,
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
            reader=DataPrefixCsvReader(data=data, key=sfn.JsonPath.string_at("$.data_key")),
            batcher=sfn.ItemBatcher(
                max_items_per_batch=settings.max_items_per_batch,
                max_input_bytes_per_batch=settings.max_input_bytes_per_batch,
                batch_input=BATCH_INPUT,
            ),
        )
        s3_objects = self._distributed_map(
            "Predict S3 objects",
            batch_state_name="Predict object batch",
            label=S3_OBJECTS_LABEL,
            reader=DataPrefixObjectsReader(data=data, prefix=sfn.JsonPath.string_at("$.data_prefix")),
            batcher=sfn.ItemBatcher(max_items_per_batch=settings.objects_per_batch, batch_input=BATCH_INPUT),
        )
        self._map_run_arns = map_run_arns(self, state_machine_name, labels=(CSV_ROWS_LABEL, S3_OBJECTS_LABEL))
        describe = describe_map_run(self, map_run_arns=self._map_run_arns)
        report = sfn.Pass(self, "Report totals", parameters=REPORT)
        csv_rows.next(describe)
        s3_objects.next(describe)
        describe.next(report)
        definition = plan.next(
            sfn.Choice(self, "Item kind?")
            .when(sfn.Condition.string_equals("$.item_kind", "csv_rows"), csv_rows)
            .when(sfn.Condition.string_equals("$.item_kind", "s3_objects"), s3_objects)
            .otherwise(
                sfn.Fail(
                    self,
                    "Unknown item kind",
                    error="UnknownItemKind",
                    cause="plan_job returned an item_kind other than csv_rows or s3_objects",
                )
            )
        )

        # The vended-logs path keeps the account's CloudWatch Logs resource policy small.
        self.log_group = log_group(
            self, "Logs", name=f"/aws/vendedlogs/states/{state_machine_name}", retention_days=log_retention_days
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
        monitoring.monitor_step_function(
            state_machine=self.state_machine,
            human_readable_name=f"{state_machine_name} jobs",
            add_failed_execution_count_alarm={
                "Critical": ErrorCountThreshold(
                    max_error_count=0,
                    alarm_name_override=f"{state_machine_name}-ExecutionsFailed",
                    alarm_description_override=(
                        f"A {state_machine_name} job failed: its execution history names the state and error."
                    ),
                )
            },
        )
        self.failed_alarm = monitoring.created_alarms()[-1].alarm
        # The same alarm as before it moved into the facade: updated in place, never replaced.
        keep_logical_id(self.failed_alarm, scope=self, construct_id="ExecutionsFailedAlarm")
        acknowledge_job_findings(
            self.state_machine, map_run_arns=self._map_run_arns, data=data, manifests=self.manifests
        )

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
            result_writer_v2=ManifestWriter(manifests=self.manifests),
            result_path="$.map_run",  # {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}
        )
        distributed_map.item_processor(
            self._invoke(batch_state_name, comment="Predicts one batch and writes its outputs"),
        )
        return distributed_map

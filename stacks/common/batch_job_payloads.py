"""The job's JSONPath templates: what every batch receives (BatchInput) and what the job
answers (the report built from the DescribeMapRun step, defined here too)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

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


BATCH_INPUT = _batch_input()
# The job's answer: how many items (CSV rows or S3 objects) and batches (child executions)
# succeeded or failed, and where the manifest and the predictions are.
REPORT = {
    "status.$": "$.map_run_description.Status",
    "item_kind.$": "$.item_kind",
    "items": _counts("$.map_run_description.ItemCounts"),
    "batches": _counts("$.map_run_description.ExecutionCounts"),
    "output_s3_prefix.$": "$.batch_input.output_s3_prefix",
    "manifest_s3_uri.$": (
        "States.Format('s3://{}/{}', $.map_run.ResultWriterDetails.Bucket, $.map_run.ResultWriterDetails.Key)"
    ),
}


def describe_map_run(scope: Construct, *, map_run_arns: list[str]) -> tasks.CallAwsService:
    """DescribeMapRun on the map run just finished, keeping the counts REPORT reads."""
    return tasks.CallAwsService(
        scope,
        "Describe map run",
        service="sfn",
        action="describeMapRun",
        iam_action="states:DescribeMapRun",  # CDK would derive "states:describeMapRun"
        iam_resources=map_run_arns,
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


def map_run_arns(scope: Construct, state_machine_name: str, *, labels: tuple[str, ...]) -> list[str]:
    """DescribeMapRun's resources: this state machine's own map runs, mapRun:<name>/<Map label>:<run id>."""
    return [
        Stack.of(scope).format_arn(
            service="states",
            resource="mapRun",
            resource_name=f"{state_machine_name}/{label}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for label in labels
    ]

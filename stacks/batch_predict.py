"""Batch predictor: scikit-learn / ONNX models from S3 over data in S3, results to S3.

One container-image function serves direct invokes, an opt-in S3 trigger and the batches of a
Step Functions job; its role reads only the model and data prefixes and writes only the results
prefix.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration

from stacks.common.batch_predictor_access import BatchPredictorAccess, no_dead_letter_queue_reason
from stacks.common.batch_state_machine import BatchStateMachine
from stacks.common.data_buckets import DataBuckets
from stacks.common.s3_trigger import S3Trigger
from stacks.common.workload_stack import WorkloadStack
from stacks.settings import EnvironmentSettings

FOLDER = "batch_predict"
# What the image build reads from the repository (functions/batch_predict/Dockerfile's mounts and COPYs).
IMAGE_CONTEXT = ("functions/batch_predict", "functions/lambda_common")


class BatchPredictStack(WorkloadStack):
    DESCRIPTION = (
        "Batch predictions (scikit-learn, ONNX) from S3 to S3 on AWS Lambda, with Step Functions for large jobs"
    )
    RESOURCE_PREFIX = "batch-predict"
    COST_TAG = True  # every resource tagged workload=<resource_name>, for cost allocation

    def compose(self, settings: EnvironmentSettings) -> None:
        workload = settings.batch_predict
        self.buckets = DataBuckets(self, "Buckets", settings=workload)
        data, results = self.buckets.data, self.buckets.results
        self.access = BatchPredictorAccess(
            self, "Access", settings=workload, models=self.buckets.models, data=data, results=results
        )
        # The trigger's retries, maximum event age and failure queue are the live alias' one
        # asynchronous configuration; without a trigger the function settings' bounds apply.
        self.trigger = None
        if workload.trigger is not None:
            self.trigger = S3Trigger(
                self,
                "Trigger",
                source=data,
                suffixes=workload.trigger.suffixes,
                retry_attempts=workload.trigger.retry_attempts,
                max_event_age=Duration.seconds(workload.trigger.max_event_age_seconds),
                alarm_name_prefix=self.resource_name,
            )
        self.predictor = self.add_image_function(
            "Predictor",
            folder=FOLDER,
            description="Predicts with a scikit-learn or ONNX model from S3 over CSV, JSON Lines or Parquet data in S3",
            settings=workload.function,
            environment=self.access.environment,
            context_paths=IMAGE_CONTEXT,
            no_dead_letter_queue_reason=no_dead_letter_queue_reason(workload),
            async_invoke=self.trigger.async_invoke if self.trigger is not None else None,
        )
        self.access.grant(self.predictor.role)
        if self.trigger is not None:
            self.trigger.invoke(self.predictor)

        self.job = BatchStateMachine(
            self,
            "Job",
            state_machine_name=self.resource_name,
            target=self.predictor.alias,
            data=data,
            results=results,
            settings=workload.state_machine,
            log_retention_days=settings.monitoring.log_retention_days,
            monitoring=self.predictor.monitoring.facade,
        )
        CfnOutput(
            self,
            "StateMachineArn",
            value=self.job.state_machine.state_machine_arn,
            description="aws stepfunctions start-execution --state-machine-arn <this> --input file://job.json",
        )

"""Batch predictor: scikit-learn / ONNX models from S3 over data in S3, results to S3.

One container-image function serves direct invokes, an opt-in S3 trigger and the batches of a
Step Functions job; its role reads only the model and data prefixes and writes only the results
prefix.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Environment, Fn, Stack
from constructs import Construct

from stacks.common.alarm_topic import AlarmTopic
from stacks.common.batch_state_machine import BatchStateMachine
from stacks.common.compliance import acknowledge
from stacks.common.data_buckets import DataBuckets
from stacks.common.inference_function import InferenceFunction
from stacks.common.monthly_budget import tag_workload
from stacks.common.nag_finding import wildcard_resource_rule
from stacks.common.packages import ImagePackage, python_image_code
from stacks.common.s3_prefix_access import (
    S3Location,
    list_prefix,
    objects_arn_of_uri,
    read_objects,
    write_objects,
)
from stacks.common.s3_trigger import S3Trigger
from stacks.settings import BatchPredictSettings, EnvironmentSettings, split_s3_uri_prefix

FOLDER = "batch_predict"
# What the image build reads from the repository (functions/batch_predict/Dockerfile's mounts and COPYs).
IMAGE_CONTEXT = ("functions/batch_predict", "functions/lambda_common")


class BatchPredictStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=settings.account, region=settings.region),
            description="Batch predictions (scikit-learn, ONNX) from S3 to S3 on AWS Lambda, with Step Functions for large jobs",
        )
        workload = settings.batch_predict
        function_name = f"batch-predict-{settings.name}"
        tag_workload(self, function_name)
        alarm_topic = AlarmTopic(self, "Alarms", email=settings.monitoring.alarm_email).topic
        self.buckets = DataBuckets(
            self,
            "Buckets",
            models=workload.models,
            data=workload.data,
            results=workload.results,
            abort_incomplete_multipart_upload_days=workload.abort_incomplete_multipart_upload_days,
            noncurrent_version_expiration_days=workload.noncurrent_version_expiration_days,
            access_log_retention_days=workload.access_log_retention_days,
        )
        models, data, results = self.buckets.models, self.buckets.data, self.buckets.results
        trusted_pickles = _trusted_pickle_locations(workload, models)
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
                alarm_topic=alarm_topic,
                alarm_name_prefix=function_name,
            )
        self.predictor = InferenceFunction(
            self,
            "Predictor",
            function_name=function_name,
            service_name=FOLDER,
            description="Predicts with a scikit-learn or ONNX model from S3 over CSV, JSON Lines or Parquet data in S3",
            package=ImagePackage(
                code=python_image_code(
                    folder=FOLDER, architecture=workload.function.architecture, context_paths=IMAGE_CONTEXT
                )
            ),
            settings=workload.function,
            monitoring=settings.monitoring,
            alarm_topic=alarm_topic,
            environment=_environment(workload, models=models, data=data, results=results, trusted_pickles=trusted_pickles),
            no_dead_letter_queue_reason=_no_dead_letter_queue_reason(workload),
            async_invoke=self.trigger.async_invoke if self.trigger is not None else None,
        )
        self._grant_s3(models=models, data=data, results=results, trusted_pickles=trusted_pickles)
        if self.trigger is not None:
            self.trigger.invoke(self.predictor)

        self.job = BatchStateMachine(
            self,
            "Job",
            state_machine_name=function_name,
            target=self.predictor.alias,
            data=data,
            results=results,
            settings=workload.state_machine,
            log_retention_days=settings.monitoring.log_retention_days,
            alarm_topic=alarm_topic,
        )
        CfnOutput(self, "StateMachineArn", value=self.job.state_machine.state_machine_arn,
                  description="aws stepfunctions start-execution --state-machine-arn <this> --input file://job.json")

    def _grant_s3(
        self, *, models: S3Location, data: S3Location, results: S3Location, trusted_pickles: list[str]
    ) -> None:
        """Exactly the contract's S3 statements: read models and data, list the three prefixes,
        write results (multipart included); trusted pickle locations outside the model prefix
        are readable too."""
        role = self.predictor.role
        outside_model_prefix = [objects_arn_of_uri(self, uri) for uri in trusted_pickles if not _inside(uri, models)]
        role.add_to_policy(read_objects([models.objects_arn, data.objects_arn, *outside_model_prefix]))
        for location in (models, data, results):
            role.add_to_policy(list_prefix(location))
        role.add_to_policy(write_objects(results))
        policy = role.node.find_child("DefaultPolicy")
        for location, access in ((models, "read"), (data, "read"), (results, "write")):
            acknowledge(
                policy,
                rule_id=wildcard_resource_rule(self, location.objects_arn),
                reason=f"Object keys are chosen per request; {access} access is limited to this one prefix.",
            )
        for arn in outside_model_prefix:
            acknowledge(
                policy,
                rule_id=wildcard_resource_rule(self, arn),
                reason="A trusted pickle location named in settings: read-only, that prefix only.",
            )


def _no_dead_letter_queue_reason(workload: BatchPredictSettings) -> str:
    """Why Serverless-LambdaDLQ does not apply, naming this function's real asynchronous sources."""
    sources = []
    if workload.trigger is not None:
        sources.append(
            "S3 trigger events reach the 'live' alias, whose EventInvokeConfig retries them"
            f" {workload.trigger.retry_attempts} times and then sends them, with the error, to an"
            " encrypted SQS on-failure destination that alarms; an on-failure destination replaces a"
            " function-level DLQ, which this rule alone inspects"
        )
    else:
        sources.append("no S3 trigger is configured")
    if workload.function.keep_warm_minutes is not None and workload.trigger is not None:
        sources.append(
            "keep-warm pings are disposable by design but share the alias' configuration: one that still fails"
            " after the retries (the function cannot start) lands in the same queue"
        )
    elif workload.function.keep_warm_minutes is not None:
        sources.append(
            f"keep-warm pings are disposable by design ({workload.function.async_retry_attempts} retries,"
            f" dropped after {workload.function.async_max_event_age_seconds} s)"
        )
    return (
        "Direct callers and the Step Functions job invoke synchronously and receive every error; "
        + "; ".join(sources)
        + "."
    )


def _environment(
    workload: BatchPredictSettings,
    *,
    models: S3Location,
    data: S3Location,
    results: S3Location,
    trusted_pickles: list[str],
) -> dict[str, str]:
    """The contract's variables (POWERTOOLS_* come from InferenceFunction)."""
    environment = {
        "MODEL_BUCKET": models.bucket.bucket_name,
        "MODEL_PREFIX": models.prefix,
        "DATA_BUCKET": data.bucket.bucket_name,
        "DATA_PREFIX": data.prefix,
        "RESULTS_BUCKET": results.bucket.bucket_name,
        "RESULTS_PREFIX": results.prefix,
        "TRUSTED_PICKLE_PREFIXES": Fn.join(",", trusted_pickles) if trusted_pickles else "",
        "BATCH_ROWS": str(workload.batch_rows),
        "MULTIPART_PART_MB": str(workload.multipart_part_mb),
        "MODEL_CACHE_SIZE": str(workload.model_cache_size),
    }
    trigger = workload.trigger
    if trigger is not None:
        environment["TRIGGER_MODEL_S3_URI"] = Fn.join("", [models.uri, trigger.model_key])
        if trigger.feature_columns:
            environment["TRIGGER_FEATURE_COLUMNS"] = ",".join(trigger.feature_columns)
        environment["TRIGGER_PREDICTION_COLUMN"] = trigger.prediction_column
    return environment


def _trusted_pickle_locations(workload: BatchPredictSettings, models: S3Location) -> list[str]:
    """s3://bucket/prefix/ URIs (tokens for a created bucket) pickles may be loaded from."""
    locations = []
    if workload.trusted_pickle_subprefix is not None:
        locations.append(models.child(workload.trusted_pickle_subprefix).uri)
    locations.extend(workload.trusted_pickle_prefixes)
    return locations


def _inside(uri: str, location: S3Location) -> bool:
    """Whether an s3://bucket/prefix/ (from settings, or a token under `location`) lies inside it."""
    if uri.startswith("s3://"):
        bucket, prefix = split_s3_uri_prefix(uri)
        return bucket == location.bucket.bucket_name and prefix.startswith(location.prefix)
    return True  # a token: built from the model location itself (trusted_pickle_subprefix)

"""What the batch predictor function is told and allowed in S3, as its contract says: the
variables naming the model, data and results locations (and the trusted pickle locations), and
exactly the S3 statements that go with them, each wildcard acknowledged for cdk-nag."""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.nag_finding import wildcard_resource_rule
from stacks.common.s3_prefix_access import S3Location, list_prefix, objects_arn_of_uri, read_objects, write_objects
from stacks.naming import split_s3_uri_prefix
from stacks.settings import BatchPredictSettings


class BatchPredictorAccess(Construct):
    """Creates no resource: `environment` for the function, then `grant(role)` once it exists."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: BatchPredictSettings,
        models: S3Location,
        data: S3Location,
        results: S3Location,
    ) -> None:
        super().__init__(scope, construct_id)
        self._models, self._data, self._results = models, data, results
        # s3://bucket/prefix/ URIs (tokens for a created bucket) pickles may be loaded from.
        self.trusted_pickles: list[str] = []
        if settings.trusted_pickle_subprefix is not None:
            self.trusted_pickles.append(models.child(settings.trusted_pickle_subprefix).uri)
        self.trusted_pickles.extend(settings.trusted_pickle_prefixes)
        self.environment = self._environment(settings)

    def _environment(self, settings: BatchPredictSettings) -> dict[str, str]:
        """The contract's variables (POWERTOOLS_* come from InferenceFunction)."""
        models, data, results = self._models, self._data, self._results
        environment = {
            "MODEL_BUCKET": models.bucket.bucket_name,
            "MODEL_PREFIX": models.prefix,
            "DATA_BUCKET": data.bucket.bucket_name,
            "DATA_PREFIX": data.prefix,
            "RESULTS_BUCKET": results.bucket.bucket_name,
            "RESULTS_PREFIX": results.prefix,
            "TRUSTED_PICKLE_PREFIXES": Fn.join(",", self.trusted_pickles) if self.trusted_pickles else "",
            "BATCH_ROWS": str(settings.batch_rows),
            "MULTIPART_PART_MB": str(settings.multipart_part_mb),
            "MODEL_CACHE_SIZE": str(settings.model_cache_size),
        }
        trigger = settings.trigger
        if trigger is not None:
            environment["TRIGGER_MODEL_S3_URI"] = Fn.join("", [models.uri, trigger.model_key])
            if trigger.feature_columns:
                environment["TRIGGER_FEATURE_COLUMNS"] = ",".join(trigger.feature_columns)
            environment["TRIGGER_PREDICTION_COLUMN"] = trigger.prediction_column
        return environment

    def grant(self, role: iam.IRole) -> None:
        """Exactly the contract's S3 statements: read models and data, list the three prefixes,
        write results (multipart included); trusted pickle locations outside the model prefix
        are readable too."""
        models, data, results = self._models, self._data, self._results
        outside_model_prefix = [
            objects_arn_of_uri(self, uri) for uri in self.trusted_pickles if not _inside(uri, models)
        ]
        role.add_to_principal_policy(read_objects([models.objects_arn, data.objects_arn, *outside_model_prefix]))
        for location in (models, data, results):
            role.add_to_principal_policy(list_prefix(location))
        role.add_to_principal_policy(write_objects(results))
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


def no_dead_letter_queue_reason(settings: BatchPredictSettings) -> str:
    """Why Serverless-LambdaDLQ does not apply, naming this function's real asynchronous sources."""
    sources = []
    if settings.trigger is not None:
        sources.append(
            "S3 trigger events reach the 'live' alias, whose EventInvokeConfig retries them"
            f" {settings.trigger.retry_attempts} times and then sends them, with the error, to an"
            " encrypted SQS on-failure destination that alarms; an on-failure destination replaces a"
            " function-level DLQ, which this rule alone inspects"
        )
    else:
        sources.append("no S3 trigger is configured")
    if settings.function.keep_warm_minutes is not None and settings.trigger is not None:
        sources.append(
            "keep-warm pings are disposable by design but share the alias' configuration: one that still fails"
            " after the retries (the function cannot start) lands in the same queue"
        )
    elif settings.function.keep_warm_minutes is not None:
        sources.append(
            f"keep-warm pings are disposable by design ({settings.function.async_retry_attempts} retries,"
            f" dropped after {settings.function.async_max_event_age_seconds} s)"
        )
    return (
        "Direct callers and the Step Functions job invoke synchronously and receive every error; "
        + "; ".join(sources)
        + "."
    )


def _inside(uri: str, location: S3Location) -> bool:
    """Whether an s3://bucket/prefix/ (from settings, or a token under `location`) lies inside it."""
    if uri.startswith("s3://"):
        bucket, prefix = split_s3_uri_prefix(uri)
        return bucket == location.bucket.bucket_name and prefix.startswith(location.prefix)
    return True  # a token: built from the model location itself (trusted_pickle_subprefix)

"""The model, input-data and results buckets of a batch workload: created, or imported by name.

A created bucket blocks public access, refuses plain HTTP, is encrypted, versioned (an
overwritten or deleted model or result can be recovered for a set number of days, then its old
version expires, and so does a delete marker left with no versions), aborts interrupted
multipart uploads (their parts are billed but invisible), logs every request to a dedicated
access-log bucket, and is retained when the stack is deleted (it holds data, not
infrastructure). An existing bucket is
imported by name without a lookup: its owner configures it, the stack only grants on it.

Encryption is S3-managed (SSE-S3): S3 server access logging cannot deliver into an SSE-KMS
bucket, and a customer-managed key would add $1/month plus a KMS request per object read or
written (a Distributed Map job reads and writes many objects) while protecting against no
threat that block-public-access, TLS-only and prefix-scoped IAM leave open here.

Access logs rather than a cdk-nag acknowledgement: who read which model and which input is the
audit question for this workload; server access logs answer it at storage cost only, where
CloudTrail data events would cost per request.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.common.access_log_bucket import AccessLoggedBuckets, access_log_bucket, private_bucket
from stacks.common.s3_prefix_access import S3Location
from stacks.settings import BatchPredictSettings, BucketLocation


class DataBuckets(AccessLoggedBuckets):
    """The `models`, `data` and `results` locations of the settings, as S3Locations."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: BatchPredictSettings) -> None:
        super().__init__(scope, construct_id)
        self._abort_after = Duration.days(settings.abort_incomplete_multipart_upload_days)
        self._noncurrent_expire_after = Duration.days(settings.noncurrent_version_expiration_days)
        models, data, results = settings.models, settings.data, settings.results
        creates_any = any(location.bucket_name is None for location in (models, data, results))
        self.access_logs = (
            access_log_bucket(
                self,
                retention_days=settings.access_log_retention_days,
                abort_after=self._abort_after,
                of="the model, data and results buckets",
            )
            if creates_any
            else None
        )
        self.models = self._location("Models", models, "model files (skops, ONNX, trusted joblib)")
        self.data = self._location("Data", data, "input data (CSV, JSON Lines, Parquet)")
        self.results = self._location("Results", results, "predictions")

    def _location(self, name: str, settings: BucketLocation, holds: str) -> S3Location:
        if settings.bucket_name is not None:
            bucket = s3.Bucket.from_bucket_name(self, name, settings.bucket_name)
        else:
            bucket = private_bucket(
                self,
                name,
                versioned=True,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="abort-incomplete-multipart-uploads",
                        abort_incomplete_multipart_upload_after=self._abort_after,
                    ),
                    s3.LifecycleRule(
                        id="expire-noncurrent-versions",
                        noncurrent_version_expiration=self._noncurrent_expire_after,
                        # A deleted object's delete marker, once its versions have expired.
                        expired_object_delete_marker=True,
                    ),
                ],
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{name.lower()}/",
            )
        CfnOutput(
            self,
            f"{name}BucketName",
            value=bucket.bucket_name,
            description=f"Bucket of the {holds}, under prefix '{settings.prefix}'",
        )
        return S3Location(bucket=bucket, prefix=settings.prefix)

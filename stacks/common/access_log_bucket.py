"""The bucket S3 server access logs of a stack's buckets are delivered to, the private bucket
every stack bucket is, and the construct that pins how logs are delivered to them."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.common.compliance import acknowledge

# Without this flag CDK grants log delivery through a bucket ACL, which buckets that enforce
# bucket-owner object ownership (the default) refuse; pinned so every app synthesizes the
# bucket-policy form, whatever its cdk.json says.
SERVER_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


class AccessLoggedBuckets(Construct):
    """A construct whose buckets deliver their server access logs to an access-log bucket: it
    pins the bucket-policy form of log delivery for every bucket below it (the flag is read when
    a bucket is created, so it is set before any child)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context(SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, True)


def private_bucket(
    scope: Construct,
    construct_id: str,
    *,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    versioned: bool | None = None,
    server_access_logs_bucket: s3.IBucket | None = None,
    server_access_logs_prefix: str | None = None,
) -> s3.Bucket:
    """A bucket every stack bucket is: no public access, owner-enforced objects, SSE-S3 (the only
    encryption log delivery supports), TLS only, retained when the stack is deleted."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=versioned,
        lifecycle_rules=list(lifecycle_rules),
        server_access_logs_bucket=server_access_logs_bucket,
        server_access_logs_prefix=server_access_logs_prefix,
        removal_policy=RemovalPolicy.RETAIN,
    )


def access_log_bucket(scope: Construct, *, retention_days: int, abort_after: Duration, of: str) -> s3.Bucket:
    """`scope`/AccessLogs: private, TLS-only, SSE-S3, logs expired after `retention_days`, retained
    when the stack is deleted. `of` names the buckets it logs (in the cdk-nag acknowledgement)."""
    # Not versioned, on purpose. S3's log delivery writes each log object once, under a key
    # of its own, and nothing here overwrites one: versioning would have nothing to recover
    # but deletions, and no role this app creates may delete from this bucket (only the
    # lifecycle rule expires logs). Versioned, the expiration rule below would only hide each
    # log behind a delete marker, keeping it billed for a further noncurrent period and
    # needing two more rules to clean up. Neither rule pack run here (AwsSolutions,
    # Serverless) asks for versioning, so there is no finding to acknowledge; should an
    # audit require tamper-proof logs, that is Object Lock on a new bucket, not versioning.
    bucket = private_bucket(
        scope,
        "AccessLogs",
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-access-logs",
                expiration=Duration.days(retention_days),
                abort_incomplete_multipart_upload_after=abort_after,
            )
        ],
    )
    acknowledge(
        bucket,
        rule_id="AwsSolutions-S1",
        reason=(
            f"This is the server access log bucket of {of}; logging its own requests would mostly record"
            " the log deliveries themselves."
        ),
    )
    return bucket

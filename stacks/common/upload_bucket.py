"""A bucket for short-lived uploads under one prefix, and the one role that presigns and reads them.

Callers PUT scans too large for a request body to presigned URLs the function hands out; the
function reads them back once. So the bucket holds nothing worth keeping: every object under
the prefix expires after a set number of days (S3 lifecycle, read or not), interrupted multipart
uploads are aborted after one, and the bucket is not versioned (a version history of throwaway
uploads would only keep them billed and readable longer). Otherwise it follows
stacks/common/data_buckets.py: public access blocked, TLS only, SSE-S3, bucket-owner object
ownership, every request in a server access log (who uploaded what is the audit question;
logs are delivered through the bucket-policy form), retained when the stack is deleted.

`grant_presign_and_read` gives a role s3:PutObject (what a presigned PUT is checked against:
the signer's permissions) and s3:GetObject (GET and HEAD) on `<bucket>/<prefix>*` only: no
listing, no deletes, nothing elsewhere in the bucket.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.common.access_log_bucket import AccessLoggedBuckets, access_log_bucket, private_bucket
from stacks.common.compliance import acknowledge
from stacks.common.logical_ids import logical_id_of
from stacks.common.s3_prefix_access import S3Location

PRESIGN_AND_READ_ACTIONS = ("s3:PutObject", "s3:GetObject")


class UploadBucket(AccessLoggedBuckets):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        expire_after_days: int,
        access_log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = access_log_bucket(
            self, retention_days=access_log_retention_days, abort_after=Duration.days(1), of="the uploads bucket"
        )
        self.bucket = private_bucket(
            self,
            "Bucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-uploads",
                    prefix=prefix,
                    expiration=Duration.days(expire_after_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="uploads/",
        )
        self.location = S3Location(bucket=self.bucket, prefix=prefix)
        CfnOutput(
            self,
            "BucketName",
            value=self.bucket.bucket_name,
            description=f"Bucket of the uploaded scans, under prefix '{prefix}' (deleted after {expire_after_days} day(s))",
        )

    def grant_presign_and_read(self, role: iam.Role) -> None:
        role.add_to_policy(
            iam.PolicyStatement(actions=list(PRESIGN_AND_READ_ACTIONS), resources=[self.location.objects_arn])
        )
        bucket_id = logical_id_of(self.bucket)
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            rule_id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{self.location.prefix}*]",
            reason=(
                "Put (to presign upload URLs) and get on the uploads prefix only: each upload's key is a new"
                " uuid, so no narrower resource can be named in advance."
            ),
        )

"""S3 permissions scoped to key prefixes, written by hand.

`bucket.grant_read`/`grant_write` would grant `s3:GetObject*`, `s3:List*`... on the whole
bucket; a batch job needs far less: read objects under a prefix, list only that prefix (so a
missing key answers 404 instead of 403), write objects under another prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

# Writing large outputs takes multipart uploads: their parts must be listable and abortable.
WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")


@dataclass(frozen=True, kw_only=True)
class S3Location:
    """A key prefix ("" = the whole bucket, else ending with "/") in one bucket."""

    bucket: s3.IBucket
    prefix: str

    @property
    def objects_arn(self) -> str:
        """ARN pattern of every object under the prefix."""
        return self.bucket.arn_for_objects(f"{self.prefix}*")

    @property
    def uri(self) -> str:
        """s3://bucket/prefix/ (a token when the bucket is created by the stack)."""
        return Fn.join("", ["s3://", self.bucket.bucket_name, "/", self.prefix])

    def child(self, subprefix: str) -> S3Location:
        return S3Location(bucket=self.bucket, prefix=f"{self.prefix}{subprefix}")


def objects_arn_of_uri(scope: IConstruct, uri: str) -> str:
    """ARN pattern of every object under an s3://bucket/prefix/ written in settings."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return Stack.of(scope).format_arn(service="s3", region="", account="", resource=bucket, resource_name=f"{prefix}*")


def read_objects(object_arns: list[str]) -> iam.PolicyStatement:
    """s3:GetObject on the given object ARN patterns and nothing else."""
    return iam.PolicyStatement(actions=["s3:GetObject"], resources=object_arns)


def list_prefix(location: S3Location) -> iam.PolicyStatement:
    """s3:ListBucket on the location's bucket, only for listings under its prefix.

    A whole-bucket location ("") gets no condition: S3 omits `s3:prefix` from a listing without
    a prefix, and a `StringLike "*"` condition on an absent key would deny exactly that listing.
    """
    conditions = {"StringLike": {"s3:prefix": [f"{location.prefix}*"]}} if location.prefix else None
    return iam.PolicyStatement(actions=["s3:ListBucket"], resources=[location.bucket.bucket_arn], conditions=conditions)


def write_objects(location: S3Location) -> iam.PolicyStatement:
    """Create and overwrite objects under the location's prefix (multipart uploads included)."""
    return iam.PolicyStatement(actions=list(WRITE_ACTIONS), resources=[location.objects_arn])

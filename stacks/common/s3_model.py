"""Read-only access to a model kept under an S3 prefix (downloaded to /tmp at cold start)."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from stacks.common.compliance import acknowledge


def split_s3_prefix(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix/') from 's3://bucket/prefix/'; ValueError naming what is wrong."""
    if not uri.startswith("s3://"):
        raise ValueError(f"model S3 location must start with s3://, got {uri!r}")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket or not prefix.endswith("/"):
        raise ValueError(f"model S3 location must look like s3://bucket/prefix/, got {uri!r}")
    return bucket, prefix


def grant_model_read(role: iam.Role, *, s3_uri: str) -> None:
    """s3:GetObject on the model's objects, and nothing else (no listing, no writes).

    s3://bucket/prefix/ grants the objects under the prefix; s3://bucket/dir/model.onnx grants
    that object and the labels.json beside it.
    """
    if s3_uri.endswith("/"):
        bucket, prefix = split_s3_prefix(s3_uri)
        keys = [f"{prefix}*"]
    else:
        bucket, prefix = split_s3_prefix(s3_uri.rsplit("/", 1)[0] + "/")
        keys = [s3_uri.rsplit("/", 1)[1], "labels.json"]
        keys = [f"{prefix}{key}" for key in keys]
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}/{key}" for key in keys],
        )
    )
    if s3_uri.endswith("/"):
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            rule_id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}*]",
            reason="Read-only on the model's own prefix; the artifact files under it are named by the model.",
        )

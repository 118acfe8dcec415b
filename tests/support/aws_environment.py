"""The environment boto3 gets in tests: a local S3 server, dummy credentials, and nothing read
from the developer's AWS setup."""

from __future__ import annotations

from pathlib import Path

# Variables from a developer's shell that would point boto3 elsewhere: removed in tests.
DEVELOPER_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL")


def dummy_aws_environment(s3_endpoint: str, tmp: Path, region: str = "eu-west-1") -> dict[str, str]:
    """Dummy credentials, the S3 endpoint override, and AWS config files (under `tmp`) that do not exist."""
    return {
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
    }

"""Downloading a model file from S3 to local disk (under /tmp in Lambda, the only writable path).

boto3 (provided by the Lambda Python base image) is imported only when a download happens, so
a function whose model is baked in pays no SDK import at cold start.
"""

from __future__ import annotations

import os

# Annotations only: nothing here needs `typing` or `pathlib` at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# What S3 answers for a key that does not exist (404 when the reader may list the bucket).
NOT_FOUND_CODES = ("404", "NoSuchKey", "NotFound")


class S3DownloadError(Exception):
    """An object could not be downloaded; `code` is S3's error code, "" when S3 never answered."""

    def __init__(self, *, bucket: str, key: str, code: str, reason: object) -> None:
        super().__init__(f"cannot download s3://{bucket}/{key}: {reason}")
        self.code = code

    @property
    def not_found(self) -> bool:
        return self.code in NOT_FOUND_CODES


def s3_client(client: Any = None) -> Any:
    """`client` if given (tests pass their own), else a new boto3 S3 client."""
    if client is not None:
        return client
    import boto3

    return boto3.client("s3")


def download_file(s3: Any, *, bucket: str, key: str, destination: Path) -> None:
    """s3://bucket/key -> destination, through a hidden partial file renamed into place only
    when complete: an interrupted download never leaves a truncated file a later cold start
    would load. Any failure is an S3DownloadError."""
    from botocore.exceptions import BotoCoreError, ClientError

    partial = destination.with_name(f".{destination.name}.partial")
    try:
        s3.download_file(bucket, key, str(partial))
    except ClientError as error:
        partial.unlink(missing_ok=True)
        code = str(error.response.get("Error", {}).get("Code", ""))
        raise S3DownloadError(bucket=bucket, key=key, code=code, reason=code or error) from error
    except BotoCoreError as error:
        partial.unlink(missing_ok=True)
        raise S3DownloadError(bucket=bucket, key=key, code="", reason=error) from error
    os.replace(partial, destination)

"""S3 naming rules the settings check at synth: bucket names, key prefixes, s3:// URIs."""

from __future__ import annotations

import re

from stacks.schema.base import SettingsError

# A key prefix an IAM ARN pattern (<prefix>*) names exactly, as functions/checkbox/config.py accepts it.
UPLOADS_PREFIX = re.compile(r"[A-Za-z0-9!\-_.'()]+(/[A-Za-z0-9!\-_.'()]+)*/")
# An S3 bucket name as S3 accepts it for new buckets (3..63 lowercase letters, digits, dots, hyphens).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_prefix(what: str, prefix: str) -> None:
    """A key prefix is "" (the whole bucket) or ends with "/"; it is used in IAM ARNs and in a
    comma-separated variable, so wildcards and commas are refused."""
    if prefix and (not prefix.endswith("/") or prefix.startswith("/")):
        raise SettingsError(f"{what} must be '' (whole bucket) or a key prefix like 'input/', got {prefix!r}")
    if any(character in prefix for character in "*?,") or "//" in prefix:
        raise SettingsError(f"{what} must not contain '*', '?', ',' or '//', got {prefix!r}")


def check_bucket_name(what: str, name: str) -> None:
    if not BUCKET_NAME.match(name) or ".." in name:
        raise SettingsError(f"{what} must be an S3 bucket name (3-63 of a-z 0-9 . -), got {name!r}")


def split_s3_uri_prefix(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix/') from 's3://bucket/prefix/' (or 's3://bucket/' for a whole bucket)."""
    if not uri.startswith("s3://") or "/" not in uri.removeprefix("s3://"):
        raise SettingsError(f"expected s3://bucket/prefix/ (ending with '/'), got {uri!r}")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    check_bucket_name(f"bucket of {uri!r}", bucket)
    check_prefix(f"prefix of {uri!r}", prefix)
    return bucket, prefix


def check_uploads_prefix(what: str, prefix: str) -> None:
    """A non-empty key prefix an IAM ARN pattern names exactly (functions/checkbox/config.py
    applies the same rule at cold start)."""
    check_prefix(what, prefix)
    if not UPLOADS_PREFIX.fullmatch(prefix) or {".", ".."} & set(prefix.split("/")):
        raise SettingsError(
            f"{what} must be a key prefix such as 'checkbox-uploads/' (letters, digits, !-_.'() and '/',"
            f" ending with '/'; not the whole bucket), got {prefix!r}"
        )

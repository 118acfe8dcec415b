"""The uploads' environment variables: off without UPLOADS_BUCKET, defaults, and every bad value
named in the one ConfigError of the cold start."""

from __future__ import annotations

import pytest

from checkbox.config import FunctionConfig, UploadSettings
from lambda_common.env import ConfigError
from tests.support.checkbox import TINY_MODEL

BASE = {"MODEL_PATH": str(TINY_MODEL)}


def test_without_a_bucket_uploads_are_off() -> None:
    assert FunctionConfig.from_environ(BASE, cpu_count=1).uploads is None


def test_a_bucket_alone_takes_the_defaults() -> None:
    config = FunctionConfig.from_environ({**BASE, "UPLOADS_BUCKET": "checkbox-dev-uploads"}, cpu_count=1)
    assert config.uploads == UploadSettings(
        bucket="checkbox-dev-uploads", prefix="checkbox-uploads/", url_expires_seconds=300, max_upload_bytes=50_000_000
    )


def test_every_value_as_the_stack_sets_it() -> None:
    environ = {
        **BASE,
        "UPLOADS_BUCKET": "checkboxdev-uploadsbucket-1a2b3c",
        "UPLOADS_PREFIX": "scans/incoming/",
        "UPLOAD_URL_EXPIRES_SECONDS": "900",
        "MAX_UPLOAD_BYTES": "120000000",
    }
    assert FunctionConfig.from_environ(environ, cpu_count=1).uploads == UploadSettings(
        bucket="checkboxdev-uploadsbucket-1a2b3c",
        prefix="scans/incoming/",
        url_expires_seconds=900,
        max_upload_bytes=120_000_000,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("UPLOADS_BUCKET", "Not_A_Bucket", "UPLOADS_BUCKET must be an S3 bucket name"),
        ("UPLOADS_BUCKET", "a..b", "UPLOADS_BUCKET must be an S3 bucket name"),
        ("UPLOADS_PREFIX", "uploads", "UPLOADS_PREFIX must be a key prefix such as 'checkbox-uploads/'"),
        ("UPLOADS_PREFIX", "up*/", "UPLOADS_PREFIX must be a key prefix"),
        ("UPLOADS_PREFIX", "a/../b/", "UPLOADS_PREFIX must be a key prefix"),
        ("UPLOADS_PREFIX", "/abs/", "UPLOADS_PREFIX must be a key prefix"),
        ("UPLOAD_URL_EXPIRES_SECONDS", "5", "UPLOAD_URL_EXPIRES_SECONDS must be within 10..3600, got 5"),
        ("UPLOAD_URL_EXPIRES_SECONDS", "soon", "UPLOAD_URL_EXPIRES_SECONDS must be an integer"),
        ("MAX_UPLOAD_BYTES", "0", "MAX_UPLOAD_BYTES must be within 1..1000000000, got 0"),
        ("MAX_UPLOAD_BYTES", "5GB", "MAX_UPLOAD_BYTES must be an integer"),
    ],
)
def test_a_bad_value_stops_the_cold_start_naming_it(variable: str, value: str, message: str) -> None:
    environ = {**BASE, "UPLOADS_BUCKET": "checkbox-dev-uploads", variable: value}
    with pytest.raises(ConfigError, match="invalid checkbox function configuration") as raised:
        FunctionConfig.from_environ(environ, cpu_count=1)
    assert message in str(raised.value)

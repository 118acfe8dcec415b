"""Where a request may read and write: checks of URIs against the configured locations.

Pure. The function's IAM role allows exactly these locations, so a URI elsewhere would only
fail later with AccessDenied; checking first gives the caller a 400 that names the allowed
place instead.
"""

from __future__ import annotations

from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Location, S3Object


def require_inside(obj: S3Object, location: S3Location, *, field: str, purpose: str) -> None:
    """ValidationError unless `obj` is under `location`. `purpose` completes "this function
    may ... ", e.g. "read data from"."""
    if not location.contains(obj):
        raise ValidationError(
            f"{field} {obj.uri} is outside the location this function may {purpose}: use a URI under {location.uri}"
        )


def require_location_inside(inner: S3Location, location: S3Location, *, field: str, purpose: str) -> None:
    if not location.contains_location(inner):
        raise ValidationError(
            f"{field} {inner.uri} is outside the location this function may {purpose}: use a prefix under {location.uri}"
        )


def require_distinct(output: S3Object, *, others: dict[str, S3Object]) -> None:
    """The output must not be the input (or the model): writing it would destroy what is read."""
    for field, other in others.items():
        if output == other:
            raise ValidationError(f"output_s3_uri must differ from {field} ({other.uri}): choose another output key")

"""S3 URIs: an object (`s3://bucket/key`) and a location (`s3://bucket/prefix/`), parsed strictly.
The one S3 URI parser of the functions (the stacks keep their own: they cannot import function code).

Pure: no boto3, no network; `dataclasses` at import, so not for the ZIP function. A location's prefix is "" (the whole bucket) or ends with "/", so
`s3://data/in/` never contains `s3://data/in-private/x.csv`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Annotations only: importing `typing` at run time would cost the cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Self

# S3's bucket naming rules (lower case, digits, dots, hyphens; 3-63 characters).
_BUCKET = r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]"
_OBJECT_URI = re.compile(rf"s3://(?P<bucket>{_BUCKET})/(?P<key>.+)", re.DOTALL)
_LOCATION_URI = re.compile(rf"s3://(?P<bucket>{_BUCKET})(?:/(?P<prefix>.*))?", re.DOTALL)
_BUCKET_NAME = re.compile(_BUCKET)
MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


class S3UriError(ValueError):
    """Not a usable S3 URI; the message says what a good one looks like."""


def is_bucket_name(name: str) -> bool:
    return _BUCKET_NAME.fullmatch(name) is not None


@dataclass(frozen=True, kw_only=True)
class S3Object:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> Self:
        match = _OBJECT_URI.fullmatch(uri)
        if match is None or not match.group("key") or match.group("key").endswith("/"):
            raise S3UriError(f"{_shorten(uri)} is not an s3://bucket/key URI of an object")
        key = match.group("key")
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise S3UriError(f"the key of {_shorten(uri)} is longer than S3's {MAX_KEY_BYTES} bytes")
        return cls(bucket=match.group("bucket"), key=key)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def name(self) -> str:
        """The last path segment of the key (the file name)."""
        return self.key.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True, kw_only=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"

    def __post_init__(self) -> None:
        if self.prefix and not self.prefix.endswith("/"):
            raise S3UriError(f"prefix {self.prefix!r} must be empty or end with '/'")

    @classmethod
    def parse(cls, uri: str, *, require_slash: bool = True) -> S3Location:
        """`s3://bucket/` or `s3://bucket/prefix/`. With `require_slash=False` a missing final
        "/" is added (for values a caller typed); otherwise it is an error (for configuration,
        where `data` silently matching `data-private/` would be a hole)."""
        match = _LOCATION_URI.fullmatch(uri)
        if match is None:
            raise S3UriError(f"{_shorten(uri)} is not an s3://bucket/prefix/ URI")
        prefix = match.group("prefix") or ""
        if prefix and not prefix.endswith("/"):
            if require_slash:
                raise S3UriError(f"{_shorten(uri)} must end with '/' (a prefix, not an object)")
            prefix += "/"
        if prefix.startswith("/") or "//" in prefix:
            raise S3UriError(f"{_shorten(uri)} has an empty path segment ('//')")
        return cls(bucket=match.group("bucket"), prefix=prefix)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def contains(self, obj: S3Object) -> bool:
        return obj.bucket == self.bucket and obj.key.startswith(self.prefix)

    def contains_location(self, other: S3Location) -> bool:
        return other.bucket == self.bucket and other.prefix.startswith(self.prefix)

    def overlaps(self, other: S3Location) -> bool:
        return self.contains_location(other) or other.contains_location(self)

    def key(self, relative_key: str) -> str:
        return self.prefix + relative_key

    def object(self, relative_key: str) -> S3Object:
        return S3Object(bucket=self.bucket, key=self.prefix + relative_key)

    def relative_key(self, obj: S3Object) -> str:
        """The part of `obj`'s key after this prefix (`obj` must be inside)."""
        if not self.contains(obj):
            raise ValueError(f"{obj.uri} is not under {self.uri}")
        return obj.key[len(self.prefix) :]

    def __str__(self) -> str:
        return self.uri


def _shorten(text: object, limit: int = 200) -> str:
    """repr() of a caller's value, cut so an error message stays readable."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "...'"

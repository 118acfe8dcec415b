"""Reading S3 objects: existence, metadata, a stream, the first bytes, and a seekable file.

Every read after `head` is pinned to the ETag it returned (If-Match), so a job never mixes
two versions of an object: an object replaced mid-read fails with a clear 400 instead.
The S3 client is passed in (one per execution environment, created by the handler).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambda_common.errors import ValidationError
from lambda_common.s3_download import NOT_FOUND_CODES
from lambda_common.s3_uri import S3Location, S3Object

_MISSING = (*NOT_FOUND_CODES, "NoSuchBucket")
# Without s3:ListBucket on a location, S3 answers a missing key with 403, not 404.
_FORBIDDEN = ("403", "AccessDenied", "Forbidden")
_CHANGED = ("PreconditionFailed", "412")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True, kw_only=True)
class ObjectInfo:
    obj: S3Object
    etag: str
    size: int


def head(s3: Any, obj: S3Object, *, field: str) -> ObjectInfo:
    """The object's ETag and size; ValidationError naming `field` if it does not exist."""
    try:
        answer = s3.head_object(Bucket=obj.bucket, Key=obj.key)
    except ClientError as error:
        code = error_code(error)
        if code in _MISSING:
            raise ValidationError(f"{field} {obj.uri} does not exist: check the bucket and key") from None
        if code in _FORBIDDEN:
            raise ValidationError(
                f"{field} {obj.uri} cannot be read by this function: it does not exist (where the function may not"
                " list), or a bucket policy or KMS key denies its role"
            ) from None
        raise
    return ObjectInfo(obj=obj, etag=answer["ETag"], size=int(answer["ContentLength"]))


def exists(s3: Any, obj: S3Object) -> bool:
    """Whether the object exists, by listing (the role may list the results prefix but not read
    it): the first key under Prefix=key is the key itself when it exists."""
    answer = s3.list_objects_v2(Bucket=obj.bucket, Prefix=obj.key, MaxKeys=1)
    return any(entry.get("Key") == obj.key for entry in answer.get("Contents", ()))


def any_object_under(s3: Any, location: S3Location) -> bool:
    """Whether anything but "folder" markers (keys ending in "/") lies under the prefix."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix, PaginationConfig={"PageSize": 100}):
        if any(not entry["Key"].endswith("/") for entry in page.get("Contents", ())):
            return True
    return False


def open_stream(s3: Any, info: ObjectInfo) -> Any:
    """The object's body as a file-like stream (botocore StreamingBody)."""
    return _get(s3, info)["Body"]


def read_prefix(s3: Any, info: ObjectInfo, *, max_bytes: int) -> bytes:
    """The first `max_bytes` bytes of the object (fewer if it is smaller), in one ranged GET."""
    if info.size == 0:
        return b""
    return _get(s3, info, Range=f"bytes=0-{min(max_bytes, info.size) - 1}")["Body"].read()


def _get(s3: Any, info: ObjectInfo, **extra: str) -> dict[str, Any]:
    try:
        return s3.get_object(Bucket=info.obj.bucket, Key=info.obj.key, IfMatch=info.etag, **extra)
    except ClientError as error:
        code = error_code(error)
        if code in _CHANGED or code in _MISSING:
            raise ValidationError(
                f"{info.obj.uri} was replaced or deleted while it was being read: run the job again"
            ) from None
        raise


READ_SLICE_BYTES = 1024 * 1024


class RangedObjectFile(io.RawIOBase):
    """A read-only, seekable file over one S3 object version, one ranged GET per read: what
    Parquet needs (its footer is at the end, its column chunks anywhere)."""

    def __init__(self, s3: Any, info: ObjectInfo) -> None:
        super().__init__()
        self._s3 = s3
        self._info = info
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._info.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._position + len(view), self._info.size)
        if end <= self._position:
            return 0
        body = _get(self._s3, self._info, Range=f"bytes={self._position}-{end - 1}")["Body"]
        filled = 0
        while filled < end - self._position:
            # In slices: one read of the whole range would hold it twice more (the HTTP
            # library's buffer and the bytes returned) beside `buffer`.
            chunk = body.read(min(READ_SLICE_BYTES, end - self._position - filled))
            if not chunk:
                break
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        self._position += filled
        return filled

"""Scans too large for a request body, through S3: `POST /uploads`, then `POST /predict` by s3_key.

1. `new_upload()` names a new object `<prefix><uuid4>` in the uploads bucket and presigns a PUT
   of it with the function's own role (which may put and get objects under that prefix only).
   The answer: {"s3_key", "upload_url", "method": "PUT", "headers": {"Content-Type":
   "application/octet-stream"}, "expires_in", "max_bytes"}. The client PUTs the file's bytes
   to upload_url with exactly those headers (the Content-Type is signed: S3 refuses another
   one) before it expires. A fixed, signed type means an HTTP client's own default (urllib's
   form encoding, say) can never change how the body is read.
2. `read_upload(key)` checks the key has exactly the shape step 1 gives (the prefix, then a
   uuid4: nothing else under the prefix, no "..", no other prefix can be named), HEADs the
   object to refuse an empty or too-large one before a byte is downloaded, then reads it
   (bounded, and only the version that was HEADed: `IfMatch` on its ETag). Its bytes then go
   through the same decoding, page and pixel limits as an inline image.

A presigned PUT cannot bound the size of what is sent (only a presigned POST policy can, and
callers want a plain PUT), so MAX_UPLOAD_BYTES is enforced here, at read time; the bucket's
lifecycle rule deletes every upload after a day, read or not.

The role has no s3:ListBucket, so S3 answers a HEAD of a missing key with 403, not 404: both
mean "not uploaded (yet), or already expired" here, since the key's shape was checked first
and the role may read everything of that shape. boto3 (in the Lambda runtime) is imported on
first use, so the cold start of a function that never sees an upload does not pay for it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from checkbox.config import UploadSettings
from lambda_common.errors import NotFoundError, ValidationError

S3_KEY = "s3_key"
UPLOAD_METHOD = "PUT"
UPLOAD_HEADERS = {"Content-Type": "application/octet-stream"}
_UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
# What S3 answers for an object the role cannot see: absent (404 with ListBucket, 403 without).
_ABSENT_CODES = frozenset({"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"})
_CHANGED_CODES = frozenset({"412", "PreconditionFailed"})
_SHOWN_CHARS = 80


class Uploads:
    """The uploads bucket and prefix, seen by the function's role."""

    def __init__(self, settings: UploadSettings, *, client: Any = None) -> None:
        self.settings = settings
        self._client = client
        self._key_shape = re.compile(re.escape(settings.prefix) + _UUID4)

    @property
    def example_key(self) -> str:
        return f"{self.settings.prefix}<uuid>"

    def new_upload(self) -> dict[str, Any]:
        key = f"{self.settings.prefix}{uuid.uuid4()}"
        url = self._s3().generate_presigned_url(
            "put_object",
            Params={"Bucket": self.settings.bucket, "Key": key, "ContentType": UPLOAD_HEADERS["Content-Type"]},
            ExpiresIn=self.settings.url_expires_seconds,
            HttpMethod=UPLOAD_METHOD,
        )
        return {
            S3_KEY: key,
            "upload_url": url,
            "method": UPLOAD_METHOD,
            "headers": dict(UPLOAD_HEADERS),  # signed with the host: send exactly these
            "expires_in": self.settings.url_expires_seconds,
            "max_bytes": self.settings.max_upload_bytes,
        }

    def check_key(self, key: Any) -> str:
        """The key, if it is one `new_upload` could have given; a ValidationError otherwise."""
        if not isinstance(key, str) or not key:
            raise ValidationError(f"'{S3_KEY}' must be the s3_key string POST /uploads returned ({self.example_key})")
        if not self._key_shape.fullmatch(key):
            raise ValidationError(
                f"'{S3_KEY}' {key[:_SHOWN_CHARS]!r} is not a key POST /uploads gives: send the s3_key it returned"
                f" unchanged ({self.example_key})"
            )
        return key

    def read_upload(self, key: Any) -> bytes:
        """The uploaded object's bytes, after the key's shape and the object's size are checked."""
        from botocore.exceptions import ClientError

        key = self.check_key(key)
        bucket, limit = self.settings.bucket, self.settings.max_upload_bytes
        s3 = self._s3()
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _code(error) in _ABSENT_CODES:
                raise self._not_uploaded(key) from None
            raise
        size = int(head.get("ContentLength", 0))
        if size == 0:
            raise ValidationError(f"the object {key} is empty: PUT the image file's bytes to the upload_url")
        if size > limit:
            raise ValidationError(
                f"the uploaded object is {size:,} bytes; the limit is {limit:,} bytes: upload a smaller scan"
                " (a 300 dpi JPEG or a grey PNG of an A4 page is well under it)"
            )
        try:
            response = s3.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])
        except ClientError as error:
            if _code(error) in _CHANGED_CODES:
                raise ValidationError(
                    f"the object {key} was replaced while it was read: send the request again"
                ) from None
            if _code(error) in _ABSENT_CODES:
                raise self._not_uploaded(key) from None
            raise
        body = response["Body"]
        try:
            data: bytes = body.read(limit + 1)
        finally:
            body.close()
        if len(data) > limit:  # replaced by a larger object between the HEAD and the GET's ETag check
            raise ValidationError(f"the uploaded object is over the limit of {limit:,} bytes: upload a smaller scan")
        return data

    def _not_uploaded(self, key: str) -> NotFoundError:
        return NotFoundError(
            f"no uploaded object {key}: PUT the image to the upload_url from POST /uploads first (within"
            f" {self.settings.url_expires_seconds} s of getting it); uploads are deleted by the bucket's lifecycle"
            " rule (after a day by default)"
        )

    def _s3(self) -> Any:
        if self._client is None:
            self._client = presigning_client()
        return self._client


def issue_upload(uploads: Uploads | None) -> dict[str, Any]:
    """POST /uploads' answer; a 404 when the function has no uploads bucket."""
    if uploads is None:
        raise NotFoundError(
            "uploads are not enabled on this function (no UPLOADS_BUCKET): send the image in the request"
        )
    return uploads.new_upload()


def presigning_client() -> Any:
    """An S3 client whose presigned URLs work with a plain PUT of the file.

    SigV4 (the only signature S3 accepts from role credentials in every region); checksums only
    when an operation requires one: since botocore 1.36 a presigned PutObject otherwise carries a
    CRC32 checksum parameter that a client sending just the file cannot satisfy.
    """
    import boto3
    from botocore.config import Config

    try:
        config = Config(signature_version="s3v4", request_checksum_calculation="when_required")
    except TypeError:  # a botocore before 1.36 has no such option, and adds no checksum either
        config = Config(signature_version="s3v4")
    return boto3.client("s3", config=config)


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))

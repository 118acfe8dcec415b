"""A write-only file whose bytes become one S3 object through a multipart upload, or nothing.

Memory stays at one part (MULTIPART_PART_MB) whatever the output's size. The object appears
only when `complete()` succeeds; any failure before that (of the upload, or of the job writing
into it: use it as a context manager) aborts the upload, so neither a half-written object nor
an open upload (billed storage) is left behind. Without `overwrite` the upload completes with
If-None-Match: * — S3 then refuses atomically if the key was created meanwhile.
"""

from __future__ import annotations

import io
from typing import Any

from botocore.exceptions import ClientError

from lambda_common.errors import ValidationError
from batch_predict.s3_objects import error_code
from batch_predict.s3_uri import S3Object

_ALREADY_EXISTS = ("PreconditionFailed", "412")


def output_exists_error(obj: S3Object) -> ValidationError:
    return ValidationError(
        f"output_s3_uri {obj.uri} already exists: choose another output key, or send \"overwrite\": true to replace it"
    )


class MultipartUpload(io.RawIOBase):
    def __init__(self, s3: Any, *, obj: S3Object, part_bytes: int, content_type: str, overwrite: bool) -> None:
        super().__init__()
        self.obj = obj
        self._s3 = s3
        self._part_bytes = part_bytes
        self._content_type = content_type
        self._overwrite = overwrite
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._written = 0
        self._finished = False

    # --- the file interface the writers use --------------------------------------------------
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._finished:
            raise ValueError(f"the upload of {self.obj.uri} is already finished")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._written += len(view)
        while len(self._buffer) >= self._part_bytes:
            with memoryview(self._buffer) as buffered:  # one copy of the part, not two
                part = bytes(buffered[: self._part_bytes])
            del self._buffer[: self._part_bytes]
            self._upload_part(part)
        return len(view)

    def tell(self) -> int:
        return self._written

    def close(self) -> None:
        """Closing the file (pyarrow does when its writer closes) neither completes nor aborts."""
        super().close()

    # --- the upload ------------------------------------------------------------------------
    @property
    def bytes_written(self) -> int:
        return self._written

    @property
    def parts_uploaded(self) -> int:
        return len(self._parts)

    def complete(self) -> int:
        """Upload what is buffered and make the object appear; its size in bytes."""
        if self._finished:
            raise ValueError(f"the upload of {self.obj.uri} is already finished")
        if self._buffer or not self._parts:  # the last part may be small (or even the only one)
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        conditions = {} if self._overwrite else {"IfNoneMatch": "*"}
        try:
            self._s3.complete_multipart_upload(
                Bucket=self.obj.bucket,
                Key=self.obj.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
                **conditions,
            )
        except ClientError as error:
            if error_code(error) in _ALREADY_EXISTS:
                self.abort()
                raise output_exists_error(self.obj) from None
            raise
        self._finished = True
        return self._written

    def abort(self) -> None:
        """Discard everything uploaded so far. Safe to call more than once, or before any part."""
        self._buffer.clear()
        if self._finished or self._upload_id is None:
            self._finished = True
            return
        self._finished = True
        self._s3.abort_multipart_upload(Bucket=self.obj.bucket, Key=self.obj.key, UploadId=self._upload_id)

    def __enter__(self) -> MultipartUpload:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if not self._finished:
            try:
                self.abort()
            except Exception:
                if error is None:  # nothing else to report: this failure is the news
                    raise
                # otherwise the job's own error is the one to report (the abort's is chained in logs)

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:  # created on the first part: a job rejected early costs no request
            answer = self._s3.create_multipart_upload(
                Bucket=self.obj.bucket, Key=self.obj.key, ContentType=self._content_type
            )
            self._upload_id = answer["UploadId"]
        number = len(self._parts) + 1
        answer = self._s3.upload_part(
            Bucket=self.obj.bucket, Key=self.obj.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

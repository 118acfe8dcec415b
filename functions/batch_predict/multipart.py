"""A write-only file whose bytes become one S3 object through a multipart upload, or nothing.

Parts are uploaded by background threads while the job goes on producing the next one (at
most IN_FLIGHT_PARTS at a time), so the network overlaps the work; memory stays at a few
parts (MULTIPART_PART_MB each) whatever the output's size. The object appears
only when `complete()` succeeds; any failure before that (of the upload, or of the job writing
into it: use it as a context manager) aborts the upload, so neither a half-written object nor
an open upload (billed storage) is left behind. Without `overwrite` the upload completes with
If-None-Match: * — S3 then refuses atomically if the key was created meanwhile.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import ClientError

from batch_predict.s3_objects import error_code
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Object

_ALREADY_EXISTS = ("PreconditionFailed", "412")
# Parts uploading at once, beside the one being filled: the memory bound is (this + 1) parts.
IN_FLIGHT_PARTS = 2


def output_exists_error(obj: S3Object) -> ValidationError:
    return ValidationError(
        f'output_s3_uri {obj.uri} already exists: choose another output key, or send "overwrite": true to replace it'
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
        self._pending: list[Future[dict[str, Any]]] = []
        self._uploader = ThreadPoolExecutor(max_workers=IN_FLIGHT_PARTS, thread_name_prefix="upload-part")
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
        self._collect(wait_for_all=True)
        return len(self._parts)

    def complete(self) -> int:
        """Upload what is buffered and make the object appear; its size in bytes."""
        if self._finished:
            raise ValueError(f"the upload of {self.obj.uri} is already finished")
        if self._buffer or self._part_count == 0:  # the last part may be small (or even the only one)
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._collect(wait_for_all=True)
        self._uploader.shutdown()
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
        # A part still uploading would outlive the abort and keep the upload open: let it land first.
        wait(self._pending)
        self._pending.clear()
        self._uploader.shutdown()
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

    @property
    def _part_count(self) -> int:
        return len(self._parts) + len(self._pending)

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:  # created on the first part: a job rejected early costs no request
            answer = self._s3.create_multipart_upload(
                Bucket=self.obj.bucket, Key=self.obj.key, ContentType=self._content_type
            )
            self._upload_id = answer["UploadId"]
        # Wait for room first: a failed part stops the job here, at the next part it produces.
        self._collect(wait_for_all=False)
        self._pending.append(self._uploader.submit(self._send_part, self._part_count + 1, data))

    def _send_part(self, number: int, data: bytes) -> dict[str, Any]:
        answer = self._s3.upload_part(
            Bucket=self.obj.bucket, Key=self.obj.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _collect(self, *, wait_for_all: bool) -> None:
        """Record finished parts in order (raising the first failure); block until fewer than
        IN_FLIGHT_PARTS are pending, or none when `wait_for_all`."""
        limit = 0 if wait_for_all else IN_FLIGHT_PARTS - 1
        while self._pending and (len(self._pending) > limit or self._pending[0].done()):
            self._parts.append(self._pending.pop(0).result())

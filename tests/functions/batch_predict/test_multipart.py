"""The multipart upload sink against a real S3 server: bytes in, one object out, or nothing."""

from __future__ import annotations

import os
from typing import Any

import pytest

from batch_predict.multipart import MultipartUpload
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Object
from tests.support.batch_predict import get, object_exists, open_uploads, output_uri, put

PART = 5 * 1024 * 1024


def target() -> S3Object:
    return S3Object.parse(output_uri("out.bin"))


def upload(s3: Any, obj: S3Object, *, overwrite: bool = False) -> MultipartUpload:
    return MultipartUpload(s3, obj=obj, part_bytes=PART, content_type="application/octet-stream", overwrite=overwrite)


def test_bytes_written_in_pieces_become_one_object(s3: Any) -> None:
    obj = target()
    data = os.urandom(2 * PART + 12345)
    with upload(s3, obj) as sink:
        for start in range(0, len(data), 777_777):
            sink.write(data[start : start + 777_777])
        assert sink.parts_uploaded == 2  # full parts go out as soon as they are full
        assert sink.complete() == len(data)
    assert get(s3, obj.uri) == data
    assert s3.head_object(Bucket=obj.bucket, Key=obj.key)["ContentType"] == "application/octet-stream"


def test_a_small_or_empty_output_is_one_small_part(s3: Any) -> None:
    for data in (b"id,prediction\n1,a\n", b""):
        obj = target()
        with upload(s3, obj) as sink:
            sink.write(data)
            sink.complete()
        assert get(s3, obj.uri) == data


def test_an_error_inside_the_block_aborts_what_was_uploaded(s3: Any) -> None:
    obj = target()
    with pytest.raises(RuntimeError, match="the job failed"):
        with upload(s3, obj) as sink:
            sink.write(os.urandom(PART + 1))
            assert sink.parts_uploaded == 1 and len(open_uploads(s3)) == 1
            raise RuntimeError("the job failed")
    assert not object_exists(s3, obj.uri)
    assert open_uploads(s3) == []


def test_nothing_is_created_before_the_first_part(s3: Any) -> None:
    requests: list[str] = []
    record = lambda model, **_: requests.append(model.name)  # noqa: E731
    s3.meta.events.register("before-parameter-build.s3", record)
    try:
        with pytest.raises(ValueError):
            with upload(s3, target()) as sink:
                sink.write(b"a few bytes")
                raise ValueError("rejected before the upload started")
    finally:
        s3.meta.events.unregister("before-parameter-build.s3", record)
    assert requests == []


def test_an_existing_object_is_kept_unless_overwrite(s3: Any) -> None:
    obj = S3Object.parse(put(s3, output_uri("kept.csv"), b"original"))
    with pytest.raises(ValidationError, match="already exists"):
        with upload(s3, obj) as sink:
            sink.write(b"new")
            sink.complete()
    assert get(s3, obj.uri) == b"original"
    assert open_uploads(s3) == []
    with upload(s3, obj, overwrite=True) as sink:
        sink.write(b"new")
        sink.complete()
    assert get(s3, obj.uri) == b"new"


def test_a_finished_upload_refuses_more(s3: Any) -> None:
    with upload(s3, target()) as sink:
        sink.write(b"x")
        sink.complete()
        with pytest.raises(ValueError, match="already finished"):
            sink.write(b"y")
        sink.abort()  # harmless once complete
    assert get(s3, sink.obj.uri) == b"x"

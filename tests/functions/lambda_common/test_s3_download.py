"""One S3 object to a local file: complete or not there at all, failures classified."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from lambda_common.s3_download import S3DownloadError, download_file, s3_client


class FakeS3:
    """Writes part of the object, then fails with `error` (or completes when there is none)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        Path(filename).write_bytes(b"partial" if self.error else b"complete")
        if self.error:
            raise self.error


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "GetObject")


def test_a_download_is_renamed_into_place(tmp_path: Path) -> None:
    download_file(FakeS3(), bucket="b", key="k/model.onnx", destination=tmp_path / "model.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    assert (tmp_path / "model.onnx").read_bytes() == b"complete"


@pytest.mark.parametrize(
    ("code", "not_found"), [("404", True), ("NoSuchKey", True), ("NotFound", True), ("403", False)]
)
def test_s3_errors_leave_nothing_behind_and_keep_the_code(tmp_path: Path, code: str, not_found: bool) -> None:
    with pytest.raises(S3DownloadError) as raised:
        download_file(FakeS3(client_error(code)), bucket="b", key="k", destination=tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []
    assert raised.value.code == code and raised.value.not_found is not_found
    assert str(raised.value) == f"cannot download s3://b/k: {code}"


def test_a_network_failure_has_no_code(tmp_path: Path) -> None:
    error = EndpointConnectionError(endpoint_url="https://s3.example")
    with pytest.raises(S3DownloadError) as raised:
        download_file(FakeS3(error), bucket="b", key="k", destination=tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []
    assert raised.value.code == "" and not raised.value.not_found
    assert str(raised.value) == f"cannot download s3://b/k: {error}"


def test_a_given_client_is_used_as_is() -> None:
    client = FakeS3()
    assert s3_client(client) is client

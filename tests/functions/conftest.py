"""Fixtures shared by the container functions' tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests.support.aws_environment import DEVELOPER_AWS_VARIABLES, dummy_aws_environment


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_environment(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy credentials and the S3 endpoint override, and nothing from the developer's AWS setup."""
    environment = dummy_aws_environment(s3_endpoint, tmp_path)
    for name in DEVELOPER_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment

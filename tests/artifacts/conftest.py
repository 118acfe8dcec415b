"""The artifact tier's fixtures. The app synthesized once WITH bundling (ZIP assets real) and
every function's artifact built from it once per session (tools/artifacts.py) come from
tests/conftest.py (the function tests use them too); here: a moto S3 server on loopback for
the batch predictor, and the figures each start measures.

The figures each start measures (size, init duration, peak RSS) are written to
<session tmp>/artifact-figures.json (and to $ARTIFACT_FIGURES if set) and printed at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.artifact_process import Figures, write_figures
from tools.lambda_runtime_api import REGION
from tools.local_serve.embedded_s3 import EmbeddedS3

MEASURED: list[Figures] = []


@pytest.fixture(scope="session")
def s3_server() -> Iterator[EmbeddedS3]:
    """moto's S3 in server mode on loopback (the function reaches it via AWS_ENDPOINT_URL_S3)."""
    server = EmbeddedS3(port=0, region_name=REGION)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def record_figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Figures]]:
    yield MEASURED
    if MEASURED:
        write_figures(tmp_path_factory.getbasetemp() / "artifact-figures.json", MEASURED)
        if os.environ.get("ARTIFACT_FIGURES"):
            write_figures(Path(os.environ["ARTIFACT_FIGURES"]), MEASURED)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MEASURED:
        return
    terminalreporter.section("artifacts under Lambda's Python")
    for row in sorted(MEASURED, key=lambda r: r.folder):
        terminalreporter.write_line(
            f"{row.folder:15} {row.package_type:5} {row.size_bytes / 1_048_576:7.1f} MB"
            f" (limit {row.size_limit_bytes / 1_048_576:,.0f} MB)  init {row.init_ms:7.1f} ms"
            f"  peak RSS {row.peak_rss_mb} MB"
        )

"""The hostile-input tier: one `python -m tools.serve` child process (free ports, the dev
assembly `cdk synth` writes) shared by the whole tier, called over its HTTP routes and its
Lambda Invoke API; the answers are counted by function, entry and status class and the table
is printed in the terminal summary (tests/support/hostile_client.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from stacks.workloads import WORKLOAD_NAMES
from tests.support.cdk_cli import cdk_cli_synth, shell_env
from tests.support.hostile_client import TALLY, HostileClient
from tools.local_serve.child_process import ServeProcess

FOLDERS = WORKLOAD_NAMES


@pytest.fixture(scope="session")
def hostile_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's `cdk synth -c env=dev` (tests/support/cdk_cli.py), read only."""
    return cdk_cli_synth(("dev",), tmp_path_factory)["dev"].outdir


@pytest.fixture(scope="session")
def hostile_server(hostile_cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    log_path = tmp_path_factory.mktemp("hostile-serve") / "serve.log"
    with ServeProcess.start(cdk_out=hostile_cdk_out, log_path=log_path, environ=shell_env()) as process:
        yield process
        assert process.process.poll() is None, f"the server died:\n{process.output()[-4000:]}"


@pytest.fixture(scope="session")
def names(hostile_server: ServeProcess) -> dict[str, str]:
    return {folder: hostile_server.function_name(folder) for folder in FOLDERS}


@pytest.fixture(scope="session")
def client(hostile_server: ServeProcess, names: dict[str, str]) -> HostileClient:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    lambda_client = session.client(
        "lambda",
        endpoint_url=hostile_server.endpoints.lambda_api,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=60, connect_timeout=10),
    )
    return HostileClient(http_base=hostile_server.endpoints.http, lambda_client=lambda_client, names=names)


@pytest.fixture(scope="session")
def prefixes(hostile_server: ServeProcess, names: dict[str, str]) -> dict[str, str]:
    """folder -> its HTTP route prefix ("/mask-predictor"...); the batch predictor has none."""
    return {
        folder: hostile_server.functions[name]["http_prefix"]
        for folder, name in names.items()
        if hostile_server.functions[name]["http_prefix"]
    }


@pytest.fixture(scope="session")
def batch_example(hostile_server: ServeProcess, names: dict[str, str]) -> dict[str, Any]:
    """A direct batch job the served function completes (the server's demo data)."""
    return dict(hostile_server.functions[names["batch_predict"]]["example_event"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.counts:
        return
    terminalreporter.section("hostile input: answers by function, entry and status class")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"problems (faults, 5xx, 4xx without a reason): {len(TALLY.problems)}")
    for problem in TALLY.problems[:20]:
        terminalreporter.write_line(f"  {problem}")

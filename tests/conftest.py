"""Session fixtures shared by tiers: Lambda's Python, the app synthesized with bundling, and
every function's artifact built from it (tests/support/artifacts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.artifacts import Artifacts, discover
from tools.artifacts import synthesize
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get


@pytest.fixture(scope="session")
def lambda_python() -> Path:
    found = find_lambda_interpreter()
    if found is None:
        pytest.fail(how_to_get(), pytrace=False)
    return found


@pytest.fixture(scope="session")
def bundled_app(tmp_path_factory: pytest.TempPathFactory) -> CloudAssembly:
    """The dev app as `cdk synth -c env=dev` writes it, ZIP assets bundled."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"), environment="dev")


@pytest.fixture(scope="session")
def discovered(bundled_app: CloudAssembly) -> dict[str, FunctionDefinition]:
    return discover(bundled_app)


@pytest.fixture(scope="session")
def artifacts(
    bundled_app: CloudAssembly,
    discovered: dict[str, FunctionDefinition],
    lambda_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Artifacts:
    return Artifacts(bundled_app, discovered, interpreter=lambda_python, cache_dir=tmp_path_factory.mktemp("artifacts"))

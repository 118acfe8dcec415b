"""Every function's artifact, built once per test session from the app synthesized WITH bundling
(ZIP assets real): what the artifact tier starts and the function tests' image checks run.
The session fixtures are in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stacks.workloads import WORKLOAD_NAMES
from tools.artifact_process import RunningArtifact, start_artifact
from tools.artifacts import Artifact, build_artifact, runtime_provided_set
from tools.cloud_assembly import CloudAssembly, FunctionDefinition

# At least these: discovery that finds nothing must not pass.
KNOWN_FUNCTIONS = set(WORKLOAD_NAMES)
# How long a started artifact may take to finish its init, and to answer one event: guards
# against a hang, not performance thresholds.
INIT_TIMEOUT_SECONDS = 120.0
INVOKE_TIMEOUT_SECONDS = 120.0


def discover(assembly: CloudAssembly) -> dict[str, FunctionDefinition]:
    """functions/ folder -> its function, from the synthesized templates."""
    found: dict[str, FunctionDefinition] = {}
    for fn in assembly.functions():
        assert fn.folder is not None and fn.folder not in found, f"{fn.function_name}: handler {fn.handler}"
        found[fn.folder] = fn
    return found


class Artifacts:
    """Every function's artifact and the runtime-provided set, each built once per session."""

    def __init__(
        self, assembly: CloudAssembly, functions: dict[str, FunctionDefinition], *, interpreter: Path, cache_dir: Path
    ) -> None:
        self.assembly = assembly
        self.functions = functions
        self.interpreter = interpreter
        self.cache_dir = cache_dir
        self._built: dict[str, Artifact] = {}

    def __getitem__(self, folder: str) -> Artifact:
        if folder not in self._built:
            self._built[folder] = build_artifact(
                self.assembly, self.functions[folder], interpreter=self.interpreter, cache_dir=self.cache_dir
            )
        return self._built[folder]

    def runtime_dir(self, architecture: str) -> Path:
        return runtime_provided_set(self.cache_dir, architecture=architecture)

    @contextmanager
    def start(self, artifact: Artifact, tmp_dir: Path, **options: Any) -> Iterator[RunningArtifact]:
        with start_artifact(
            artifact,
            interpreter=self.interpreter,
            runtime_dir=self.runtime_dir(artifact.function.architecture),
            tmp_dir=tmp_dir,
            **options,
        ) as running:
            yield running

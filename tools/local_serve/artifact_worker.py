"""`make serve ARTIFACT=1`: a pool worker that is the function's artifact, run as Lambda runs it.

Instead of importing the handler from the source tree in a spawned development interpreter
(worker.py), each execution environment is the real runtime interface client under Lambda's
Python, serving the exact artifact (tools/artifacts.py: the staged ZIP asset and layers, or an
image's task root built by its Dockerfile's install step) through its own local Runtime API
(tools/artifact_process.py), as `sam local` runs a build's output. It offers the pool what
pool.Worker offers (a process to watch and kill, a connection to send invocations on), so
timeouts, crashes, the memory watchdog and replacement work the same way.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.artifact_process import RunningArtifact, start_artifact
from tools.artifacts import Artifact, build_artifact, runtime_provided_set
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.lambda_runtime_api import InvocationResult, RuntimeGone, RuntimeInitFailed
from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.pool import WorkerBase
from tools.local_serve.worker import RESULT, Invocation, WorkerSpec


@dataclass(frozen=True, kw_only=True)
class ArtifactLaunch:
    """What every worker of one function starts: the artifact, under which Python, with what."""

    artifact: Artifact
    interpreter: Path
    runtime_dir: Path
    tmp_root: Path  # each worker gets its own /tmp under it
    overrides: dict[str, str]  # local values (S3 endpoint, deploy-time names, credentials)


class _ProcessView:
    """The runtime process, with the multiprocessing.Process methods the pool uses."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self.pid = process.pid

    def is_alive(self) -> bool:
        return self._process.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        if self.is_alive():
            self._process.kill()

    @property
    def exitcode(self) -> int | None:
        return self._process.poll()


class _RuntimeConnection:
    """The pool's pipe to a worker, over the worker's Runtime API: send an invocation, poll
    for its answer, receive it as worker.py would send it (EOFError once the runtime is gone)."""

    def __init__(self, running: RunningArtifact, on_close: Callable[[], None]) -> None:
        self._running = running
        self._on_close = on_close
        self._request_id: str | None = None
        self._answer: InvocationResult | None = None
        self._gone = False

    def send(self, invocation: Invocation) -> None:
        self._answer, self._gone = None, False
        self._request_id = self._running.api.queue(invocation.payload)

    def poll(self, timeout: float = 0.0) -> bool:
        if self._request_id is None:  # idle: readable only once the runtime has gone
            return self._running.process.poll() is not None
        if self._answer is not None or self._gone:
            return True
        try:
            self._answer = self._running.api.result(self._request_id, timeout=timeout)
        except TimeoutError:
            return False
        except (RuntimeGone, RuntimeInitFailed):
            self._gone = True
        return True

    def recv(self) -> tuple[str, bytes, str | None]:
        if not self.poll(0.0) or self._answer is None:
            raise EOFError("the runtime exited")
        answer, self._request_id, self._answer = self._answer, None, None
        return RESULT, answer.body, None if answer.succeeded else protocol.UNHANDLED

    def close(self) -> None:
        self._on_close()


class ArtifactWorker(WorkerBase):
    """One execution environment running the artifact, for the pool as a Worker is."""

    def __init__(self, spec: WorkerSpec, *, number: int, launch: ArtifactLaunch) -> None:
        super().__init__(number=number)
        self._stack = ExitStack()
        tmp_dir = launch.tmp_root / f"{spec.function_name}-{number}"
        self.running = self._stack.enter_context(
            start_artifact(
                launch.artifact,
                interpreter=launch.interpreter,
                runtime_dir=launch.runtime_dir,
                tmp_dir=tmp_dir,
                overrides=launch.overrides,
                log=sys.stderr if spec.log_prefix else subprocess.DEVNULL,
            )
        )
        self.process = _ProcessView(self.running.process)
        self.connection = _RuntimeConnection(self.running, on_close=self._stack.close)

    @property
    def pid(self) -> int:
        return self.process.pid

    def died_while_idle(self) -> bool:
        return not self.process.is_alive()

    def _wait_for_init(self, timeout_seconds: float) -> bytes | None:
        try:
            self.init_ms = round(self.running.wait_for_init(timeout=timeout_seconds), 1)
            self.ready = True
            return None
        except RuntimeInitFailed as failed:  # the runtime's own init error document
            self.init_error = failed.init_error.body
            return self.init_error
        except TimeoutError:
            return self._init_timed_out(timeout_seconds)
        except RuntimeGone:
            return self._exited_during_init()

    def stop(self) -> None:
        """SIGTERM, as Lambda ends an execution environment, then whatever is left is killed."""
        self.retired = True
        self._stack.close()


def artifact_launch(
    definition: FunctionDefinition, *, cdk_out: Path, interpreter: Path, overrides: Mapping[str, str]
) -> ArtifactLaunch:
    """The function's artifact from `cdk_out` (built once, cached in <cdk_out>/.artifacts as
    `make invoke ARTIFACT=1` caches it) and the runtime-provided set for its architecture."""
    assembly = CloudAssembly(cdk_out)
    cache_dir = assembly.directory / ".artifacts"
    artifact = build_artifact(assembly, definition, interpreter=interpreter, cache_dir=cache_dir)
    return ArtifactLaunch(
        artifact=artifact,
        interpreter=interpreter,
        runtime_dir=runtime_provided_set(cache_dir, architecture=definition.architecture),
        tmp_root=Path(tempfile.mkdtemp(prefix=f"serve-{definition.function_name}-")),
        overrides=dict(overrides),
    )


def artifact_overrides(definition: FunctionDefinition, worker_environment: Mapping[str, str]) -> dict[str, str]:
    """What the artifact's process takes from the server's worker environment: the local AWS
    settings (dummy credentials, region, the embedded S3's endpoint) and the local values of
    variables known only at deploy time (bucket names). Paths stay the artifact's own."""
    deploy_time = {name for name, value in definition.environment.items() if not isinstance(value, str)}
    local_aws = {name for name in worker_environment if name.startswith("AWS_")}
    return {name: worker_environment[name] for name in sorted(deploy_time | local_aws) if name in worker_environment}


def artifact_worker_factory(launch: ArtifactLaunch) -> Callable[..., Any]:
    """What FunctionPool calls to start a worker of this function."""

    def start(spec: WorkerSpec, *, number: int) -> ArtifactWorker:
        return ArtifactWorker(spec, number=number, launch=launch)

    return start

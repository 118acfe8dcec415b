"""Starts an artifact (tools/artifacts.py) the way Lambda starts it: Lambda's Python (3.13)
running the runtime interface client (awslambdaric) against a local Runtime API, with nothing
importable but the task root, the layers' Python folders and the runtime-provided set.

    python3.13 -I -S -B -c BOOTSTRAP <handler> <task root> <opt>/python/lib/python3.13/site-packages
        <opt>/python <runtime dir>

-I ignores PYTHON* variables and the user's site-packages, -S the interpreter's own
site-packages, -B writes no bytecode (the task root is read-only in Lambda; the ZIP's task root
is the staged asset in cdk.out). The environment is the function's (template, plus an image's
Dockerfile ENV) with Lambda's paths mapped here, and what Lambda sets in every execution
environment, with dummy credentials and no AWS configuration of the developer's.

Measured per start: the init duration (process start to the runtime's first request for an
event, when Lambda considers init done) and the process's peak RSS.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from benchmarks.peak_memory import child_peak_rss_mb
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.artifacts import Artifact
from tools.lambda_runtime_api import REGION, InvocationResult, LambdaRuntimeApi

# Standard library only: it runs inside the isolated interpreter before anything is importable.
BOOTSTRAP = """\
import runpy, sys
handler, paths = sys.argv[1], sys.argv[2:]
sys.path[:0] = paths
sys.argv = [sys.argv[0], handler]
runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
"""
# Guards against a hang only.
EXIT_TIMEOUT_SECONDS = 30.0


def python_paths(artifact: Artifact, runtime_dir: Path) -> list[str]:
    """sys.path's entries before the standard library's, in Lambda's order."""
    paths = [str(artifact.task_root)]
    if artifact.opt_dir is not None:
        site = artifact.opt_dir / "python" / "lib" / f"python{LAMBDA_PYTHON_VERSION}" / "site-packages"
        paths += [str(site), str(artifact.opt_dir / "python")]
    return [*paths, str(runtime_dir)]


def artifact_environment(
    artifact: Artifact,
    *,
    handler: str,
    runtime_api: str,
    runtime_dir: Path,
    tmp_dir: Path,
    overrides: Mapping[str, str] = {},
) -> dict[str, str]:
    """What the function's process sees in Lambda, with this machine's paths: /var/task, /opt
    and /tmp mapped to the artifact's and a per-run directory. `overrides` come last."""
    fn = artifact.function

    def local(value: str) -> str:
        if value == "/tmp" or value.startswith("/tmp/"):
            return str(tmp_dir) + value[len("/tmp") :]
        return artifact.local_path(value)

    declared = {
        **artifact.image_env,
        **{name: value for name, value in fn.environment.items() if isinstance(value, str)},
        **artifact.deploy_time,
    }
    function_environment = {name: local(value) for name, value in declared.items()}
    library_path = [f"{artifact.task_root}", f"{artifact.task_root}/lib", str(runtime_dir)]
    if artifact.opt_dir is not None:
        library_path.append(f"{artifact.opt_dir}/lib")
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": os.pathsep.join(library_path),
        **function_environment,
        # Set by Lambda in every execution environment.
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "_HANDLER": handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{LAMBDA_PYTHON_VERSION}",
        "LAMBDA_TASK_ROOT": str(artifact.task_root),
        "LAMBDA_RUNTIME_DIR": str(runtime_dir),
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]artifact",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        # Nothing from the developer's AWS setup.
        "AWS_CONFIG_FILE": str(tmp_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_dir / "no-aws-credentials"),
        "TMPDIR": str(tmp_dir),  # Lambda's /tmp
    }
    if artifact.log_format.get("LogFormat") == "JSON":  # Lambda's JSON log format sets both
        environment["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        environment["AWS_LAMBDA_LOG_LEVEL"] = artifact.log_format.get("ApplicationLogLevel", "INFO")
    environment.update(overrides)
    return environment


@dataclass
class RunningArtifact:
    """One started execution environment: its Runtime API, process and log."""

    artifact: Artifact
    api: LambdaRuntimeApi
    process: subprocess.Popen[bytes]
    started_at: float  # time.monotonic() just before the process was started
    log_path: Path | None

    def wait_for_init(self, *, timeout: float) -> float:
        """The init duration in ms (RuntimeInitFailed if the runtime reported an init error)."""
        return (self.api.wait_for_first_poll(timeout=timeout) - self.started_at) * 1000

    def peak_rss_mb(self) -> float | None:
        """The process's peak RSS so far (None once it has exited)."""
        return child_peak_rss_mb(self.process.pid)

    def invoke(self, event: Any, *, timeout: float) -> InvocationResult:
        return self.api.invoke(event, timeout=timeout)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path else ""

    def stop(self) -> int:
        """SIGTERM, as Lambda ends an execution environment; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextmanager
def start_artifact(
    artifact: Artifact,
    *,
    interpreter: Path,
    runtime_dir: Path,
    tmp_dir: Path,
    handler: str | None = None,
    overrides: Mapping[str, str] = {},
    log: Path | IO[Any] | int | None = None,
) -> Iterator[RunningArtifact]:
    """The artifact's runtime interface client serving a fresh local Runtime API; `log`: a
    file to write its output to (default tmp_dir/runtime.log), or an open stream (or a file
    descriptor such as subprocess.DEVNULL)."""
    fn = artifact.function
    handler = handler or artifact.handler
    tmp_dir.mkdir(parents=True, exist_ok=True)
    log_path = log if isinstance(log, Path) else (tmp_dir / "runtime.log" if log is None else None)
    log_stream = None if isinstance(log, Path) else log
    with LambdaRuntimeApi(function_name=fn.function_name, timeout_seconds=fn.timeout_seconds) as api:
        environment = artifact_environment(
            artifact,
            handler=handler,
            runtime_api=api.address,
            runtime_dir=runtime_dir,
            tmp_dir=tmp_dir,
            overrides=overrides,
        )
        command = [str(interpreter), "-I", "-S", "-B", "-c", BOOTSTRAP, handler, *python_paths(artifact, runtime_dir)]
        log_file = log_path.open("wb") if log_path is not None else None
        try:
            started_at = time.monotonic()
            process = subprocess.Popen(
                command,
                cwd=artifact.task_root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log_file if log_file is not None else log_stream,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log_file is not None:
                log_file.close()
        running = RunningArtifact(artifact=artifact, api=api, process=process, started_at=started_at, log_path=log_path)
        # Whoever waits on the API hears at once that the process has gone.
        watcher = threading.Thread(
            target=lambda: api.abandon(f"the runtime exited with status {process.wait()}"), daemon=True
        )
        watcher.start()
        try:
            yield running
        finally:
            running.stop()
            watcher.join()


@dataclass(frozen=True)
class Figures:
    """One function's artifact as measured: what `make bench` and the tests report."""

    folder: str
    function_name: str
    package_type: str
    architecture: str
    size_bytes: int
    size_limit_bytes: int
    init_ms: float
    peak_rss_mb: float | None
    memory_mb: int


def figures(running: RunningArtifact, *, init_ms: float, peak_rss_mb: float | None) -> Figures:
    fn = running.artifact.function
    return Figures(
        folder=running.artifact.folder,
        function_name=fn.function_name,
        package_type=fn.package_type,
        architecture=fn.architecture,
        size_bytes=running.artifact.size_bytes,
        size_limit_bytes=running.artifact.size_limit_bytes,
        init_ms=round(init_ms, 1),
        peak_rss_mb=None if peak_rss_mb is None else round(peak_rss_mb, 1),
        memory_mb=fn.memory_mb,
    )


def write_figures(path: Path, measured: list[Figures]) -> None:
    """The figures as JSON, one object per function, in folder order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(row) for row in sorted(measured, key=lambda row: row.folder)]
    path.write_text(json.dumps({"python": LAMBDA_PYTHON_VERSION, "functions": rows}, indent=2) + "\n")

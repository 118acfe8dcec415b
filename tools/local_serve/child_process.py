"""`python -m tools.serve` as a child process on free ports, for programs that need a server:
`make load` and the end-to-end tests.

    with ServeProcess.start(cdk_out=Path("cdk.out"), log_path=log) as server:
        server.endpoints.lambda_api   # http://127.0.0.1:<port>
        server.function_name("mask_predictor")   # "mask-predictor-dev"

Ports are 0 (free ones, so a developer's `make serve` on the default ports is no obstacle);
the server writes its endpoints to a ready file once every function has finished its init.
Its output goes to ``log_path``, never to a pipe nobody reads (a full pipe would block it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stacks.common.paths import REPO_ROOT

START_TIMEOUT_SECONDS = 180.0


class ServeProcessError(RuntimeError):
    pass


@dataclass(frozen=True)
class Endpoints:
    http: str
    lambda_api: str
    s3: str


class ServeProcess:
    def __init__(
        self, process: subprocess.Popen[bytes], ready: dict[str, Any], log_path: Path, log: IO[bytes], scratch: Path
    ) -> None:
        self.process = process
        self._scratch = scratch  # the ready file and the samples
        self.ready = ready
        self.log_path = log_path
        self._log = log
        self.endpoints = Endpoints(http=ready["http"], lambda_api=ready["lambda"], s3=ready["s3"])

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        """Name -> {"folder", "http_prefix", "memory_mb", "timeout_seconds", "example_event"}."""
        return dict(self.ready["functions"])

    def function_name(self, folder: str) -> str:
        """The served name of the (first) function from functions/<folder>."""
        for name, info in self.ready["functions"].items():
            if info["folder"] == folder:
                return str(name)
        raise LookupError(f"no function from functions/{folder} is served: {sorted(self.ready['functions'])}")

    @classmethod
    def start(
        cls,
        *,
        cdk_out: Path,
        log_path: Path,
        arguments: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> ServeProcess:
        scratch = Path(tempfile.mkdtemp(prefix="serve-"))
        ready_file = scratch / "ready.json"
        command = [
            sys.executable,
            "-m",
            "tools.serve",
            "--cdk-out",
            str(cdk_out),
            "--http-port",
            "0",
            "--lambda-port",
            "0",
            "--s3-port",
            "0",
            "--ready-file",
            str(ready_file),
            "--samples-dir",
            str(ready_file.parent / "samples"),
            *arguments,
        ]
        env = dict(os.environ if environ is None else environ)
        env["PYTHONPATH"] = f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}"
        log = log_path.open("wb")
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not ready_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                log.close()
                shutil.rmtree(scratch, ignore_errors=True)
                raise ServeProcessError(
                    f"the server did not start (exit code {process.returncode}):\n{log_path.read_text()[-4000:]}"
                )
            time.sleep(0.1)
        return cls(process, json.loads(ready_file.read_text()), log_path, log, scratch)

    def interrupt(self, timeout_seconds: float = 30.0) -> int:
        """Ctrl-C, as a terminal sends it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout_seconds)
        finally:
            self._log.close()
            shutil.rmtree(self._scratch, ignore_errors=True)

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        if self.process.poll() is None:
            try:
                self.interrupt()
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

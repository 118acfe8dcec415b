"""Everything `make serve` runs, started and stopped in the right order.

Start: bind the three ports first (a busy port fails before any worker is spawned), put the
demo data in the embedded S3, spawn every function's workers, wait for their init phase,
then open the two front doors. Stop: the reverse; no worker process outlives the server.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from tools.local_lambda import LOCAL_REGION
from tools.local_serve.artifact_worker import artifact_launch, artifact_overrides, artifact_worker_factory
from tools.local_serve.catalog import served_functions
from tools.local_serve.demo_data import DemoData, demo_data_for
from tools.local_serve.embedded_s3 import EmbeddedS3
from tools.local_serve.environment import worker_environment
from tools.local_serve.http_routes import HttpRoutes
from tools.local_serve.http_server import LoopbackHTTPServer
from tools.local_serve.invoke_api import InvokeApi
from tools.local_serve.memory import MemoryWatchdog
from tools.local_serve.runtime import LocalFunction, LocalRuntime
from tools.local_serve.settings import PortSetting, ServeSettings, SettingsError
from tools.local_serve.worker import WorkerSpec

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PortInUseError(OSError):
    def __init__(self, setting: PortSetting) -> None:
        super().__init__(errno.EADDRINUSE, f"port {setting.port} ({setting.label}) is in use")
        self.setting = setting


@dataclass(frozen=True)
class FunctionStatus:
    name: str
    workers: int
    init_ms: list[float | None]
    init_errors: list[bytes]
    notes: list[str]


class LocalServe:
    def __init__(self, settings: ServeSettings, *, shell: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        shell = dict(os.environ if shell is None else shell)
        served = served_functions(settings.cdk_out, only=settings.only)
        unknown = set(settings.workers) - {f.name for f in served} - {f.folder for f in served}
        if unknown:
            raise SettingsError(f"--workers names no served function: {', '.join(sorted(unknown))}")
        self.demo: dict[str, DemoData] = {f.name: demo_data_for(f) for f in served}
        self._opened: list[Callable[[], None]] = []
        try:
            self.s3 = self._bind(settings.s3, lambda port: EmbeddedS3(port=port, region_name=LOCAL_REGION))
            self._opened.append(self.s3.stop)
            self.notes: dict[str, list[str]] = {}
            functions = []
            for function in served:
                environment, notes = worker_environment(
                    function.definition,
                    shell=shell,
                    s3_endpoint=self.s3.endpoint_url,
                    deploy_time_values=self.demo[function.name].environment,
                )
                self.notes[function.name] = notes + list(self.demo[function.name].notes)
                spec = WorkerSpec(
                    function_name=function.name,
                    handler=str(function.definition.handler),
                    memory_mb=function.definition.memory_mb,
                    timeout_seconds=function.definition.timeout_seconds,
                    environment=environment,
                    log_prefix=f"[{function.name}]" if settings.function_logs else None,
                )
                start_worker = None
                if settings.artifact_python is not None:
                    launch = artifact_launch(
                        function.definition,
                        cdk_out=settings.cdk_out,
                        interpreter=settings.artifact_python,
                        overrides=artifact_overrides(function.definition, environment),
                    )
                    start_worker = artifact_worker_factory(launch)
                functions.append(
                    LocalFunction(function, spec, workers=settings.workers_for(function), start_worker=start_worker)
                )
            self.runtime = LocalRuntime(functions)
            self.routes = HttpRoutes(self.runtime)
            self.invoke_api = self._bind(
                settings.lambda_api,
                lambda port: LoopbackHTTPServer(
                    respond=InvokeApi(self.runtime, cdk_out=settings.cdk_out).respond, port=port, name="invoke-api"
                ),
            )
            self._opened.append(self.invoke_api.stop)
            self.http = self._bind(
                settings.http,
                lambda port: LoopbackHTTPServer(respond=self.routes.respond, port=port, name="http-routes"),
            )
            self._opened.append(self.http.stop)
        except BaseException:
            self._close_opened()
            raise
        self.watchdog = MemoryWatchdog(
            workers=lambda: [(w, f.memory_mb) for f in self.runtime.functions for w in f.pool.workers()]
        )

    def start(self) -> list[FunctionStatus]:
        """Start everything; returns once every worker has finished (or failed) its init."""
        self.s3.start()
        for data in self.demo.values():
            self.s3.put(data.buckets)
        self.runtime.start()
        self.watchdog.start()
        statuses = []
        for function in self.runtime.functions:
            ready = function.pool.await_ready()
            statuses.append(
                FunctionStatus(
                    name=function.name,
                    workers=len(ready),
                    init_ms=[init_ms for _, init_ms, _ in ready],
                    init_errors=[error for _, _, error in ready if error is not None],
                    notes=self.notes[function.name],
                )
            )
        self.invoke_api.start()
        self.http.start()
        return statuses

    def stop(self) -> int:
        """Stop everything; returns how many queued Event invocations were dropped."""
        self._close_opened()
        self.watchdog.stop()
        return self.runtime.stop()

    def _close_opened(self) -> None:
        while self._opened:
            close = self._opened.pop()
            try:
                close()
            except Exception:  # keep closing the rest
                logger.exception("while stopping")

    @staticmethod
    def _bind(setting: PortSetting, open_server: Callable[[int], T]) -> T:
        try:
            return open_server(setting.port)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(setting) from error
            raise

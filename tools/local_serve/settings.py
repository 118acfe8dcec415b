"""`make serve`'s settings: the three ports, workers per function, where things go.

Ports (all on 127.0.0.1; 0 picks a free one), each from its flag, else its environment
variable, else the default:

| what                    | default | flag            | environment variable |
|-------------------------|---------|-----------------|----------------------|
| HTTP routes             | 3000    | --http-port     | SERVE_HTTP_PORT      |
| Lambda Invoke API       | 3001    | --lambda-port   | SERVE_LAMBDA_PORT    |
| embedded S3 (moto)      | 4566    | --s3-port       | SERVE_S3_PORT        |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stacks.workloads import WORKLOADS
from tools.local_serve.catalog import ServedFunction

DEFAULT_HTTP_PORT = 3000
DEFAULT_LAMBDA_PORT = 3001
DEFAULT_S3_PORT = 4566
ENV_HTTP_PORT = "SERVE_HTTP_PORT"
ENV_LAMBDA_PORT = "SERVE_LAMBDA_PORT"
ENV_S3_PORT = "SERVE_S3_PORT"

# Worker processes per function (execution environments): stacks/workloads.py says why.
DEFAULT_WORKERS: dict[str, int] = {workload.name: workload.serve_workers for workload in WORKLOADS}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class PortSetting:
    label: str  # what listens there, for messages
    flag: str
    env_var: str
    port: int


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    cdk_out: Path
    http: PortSetting
    lambda_api: PortSetting
    s3: PortSetting
    only: tuple[str, ...] = ()  # folders or function names; empty: all
    workers: Mapping[str, int] = field(default_factory=dict)  # folder or function name -> count
    function_logs: bool = True  # False: function output discarded (load tests)
    ready_file: Path | None = None  # written (JSON) once everything answers
    samples_dir: Path | None = None  # sample request files for the printed examples
    artifact_python: Path | None = None  # set: serve the artifacts under this Lambda Python

    def workers_for(self, served: ServedFunction) -> int:
        for key in (served.name, served.folder):
            if key in self.workers:
                return self.workers[key]
        return DEFAULT_WORKERS.get(served.folder, 1)


def port_setting(
    *, label: str, flag: str, env_var: str, flag_value: int | None, environ: Mapping[str, str], default: int
) -> PortSetting:
    if flag_value is not None:
        port = flag_value
    elif environ.get(env_var):
        try:
            port = int(environ[env_var])
        except ValueError:
            raise SettingsError(f"{env_var}={environ[env_var]!r} is not a port number") from None
    else:
        port = default
    if not 0 <= port <= 65535:
        raise SettingsError(f"{label} port {port} is out of range (0-65535; 0 picks a free port)")
    return PortSetting(label=label, flag=flag, env_var=env_var, port=port)


def parse_workers(values: list[str]) -> dict[str, int]:
    """``["mask_predictor=4", "sentiment-dev=2"]`` -> {"mask_predictor": 4, "sentiment-dev": 2}."""
    workers = {}
    for value in values:
        name, _, count = value.partition("=")
        if not name or not count.isdigit() or int(count) < 1:
            raise SettingsError(f"--workers {value!r}: use <function folder or name>=<count of at least 1>")
        workers[name] = int(count)
    return workers

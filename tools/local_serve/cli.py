"""`make serve` / `python -m tools.serve`: every synthesized function on loopback.

Serves the functions of a synthesized cloud assembly (cdk.out) on 127.0.0.1: the Lambda Invoke
API (default port 3001), HTTP routes equivalent to each Function URL and REST API (3000), and
an embedded S3 with demo data (4566). Each function runs in its own worker process(es) with
the environment, memory size and timeout its template declares. Ctrl-C stops everything.

With --artifact (make serve ARTIFACT=1) each function runs from what ships, as `sam local`
runs a build's output: the staged ZIP asset and its layers, or the task root its Dockerfile's
install step builds, started by the runtime interface client under Lambda's Python with nothing
else importable. Slower to start; use it before a deploy, the default while editing code.

Exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 2 for bad settings or a missing cdk.out,
3 when a port is already in use.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tools.lambda_interpreter import find_lambda_interpreter, how_to_get
from tools.local_serve import banner
from tools.local_serve.samples import write_samples
from tools.local_serve.server import LocalServe, PortInUseError
from tools.local_serve.settings import (
    DEFAULT_HTTP_PORT,
    DEFAULT_LAMBDA_PORT,
    DEFAULT_S3_PORT,
    ENV_HTTP_PORT,
    ENV_LAMBDA_PORT,
    ENV_S3_PORT,
    ServeSettings,
    SettingsError,
    parse_workers,
    port_setting,
)

EXIT_SETTINGS = 2
EXIT_PORT_IN_USE = 3
# The ports served: (ServeSettings field, label, flag, environment variable, default).
PORTS = (
    ("http", "HTTP routes", "--http-port", ENV_HTTP_PORT, DEFAULT_HTTP_PORT),
    ("lambda_api", "Lambda Invoke API", "--lambda-port", ENV_LAMBDA_PORT, DEFAULT_LAMBDA_PORT),
    ("s3", "embedded S3", "--s3-port", ENV_S3_PORT, DEFAULT_S3_PORT),
)


def parse_settings(argv: Sequence[str] | None, environ: dict[str, str]) -> ServeSettings:
    parser = argparse.ArgumentParser(
        prog="python -m tools.serve", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"), help="synthesized cloud assembly (make synth)")
    for _, label, flag, env_var, default in PORTS:
        parser.add_argument(flag, type=int, help=f"{label} (default {default}, or {env_var})")
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME",
        help="serve only this function (folder or function name); repeatable",
    )
    parser.add_argument(
        "--workers",
        action="append",
        default=[],
        metavar="NAME=N",
        help="worker processes for a function (folder or name), e.g. mask_predictor=4; repeatable",
    )
    parser.add_argument("--quiet-functions", action="store_true", help="discard what the functions print")
    parser.add_argument("--ready-file", type=Path, help="write the endpoints here as JSON once ready")
    parser.add_argument(
        "--samples-dir", type=Path, help="where sample request files go (default <cdk-out>/local-serve)"
    )
    parser.add_argument(
        "--artifact",
        action="store_true",
        help="run each function's shipped artifact under Lambda's Python with the runtime interface"
        " client (as Lambda does) instead of its handler from the source tree",
    )
    parser.add_argument(
        "--lambda-python",
        type=Path,
        help="Lambda's CPython for --artifact (default: found as tools.lambda_interpreter finds it)",
    )
    args = parser.parse_args(argv)
    lambda_python = None
    if args.artifact:
        lambda_python = args.lambda_python or find_lambda_interpreter()
        if lambda_python is None:
            raise SettingsError(how_to_get())
    ports = {
        field: port_setting(
            label=label,
            flag=flag,
            env_var=env_var,
            flag_value=getattr(args, flag.removeprefix("--").replace("-", "_")),
            environ=environ,
            default=default,
        )
        for field, label, flag, env_var, default in PORTS
    }
    return ServeSettings(
        cdk_out=args.cdk_out,
        http=ports["http"],
        lambda_api=ports["lambda_api"],
        s3=ports["s3"],
        only=tuple(args.function),
        workers=parse_workers(args.workers),
        function_logs=not args.quiet_functions,
        ready_file=args.ready_file,
        samples_dir=args.samples_dir or args.cdk_out / "local-serve",
        artifact_python=lambda_python,
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="serve: %(message)s", stream=sys.stderr)
    environ = dict(os.environ)
    try:
        settings = parse_settings(argv, environ)
        serve = LocalServe(settings, shell=environ)
    except PortInUseError as error:
        setting = error.setting
        print(
            f"serve: port {setting.port} ({setting.label}) on 127.0.0.1 is already in use, by another"
            f" `make serve` or another program. Stop it, or choose another port: {setting.flag} <port>"
            f" or {setting.env_var}=<port> (0 picks a free port).",
            file=sys.stderr,
        )
        return EXIT_PORT_IN_USE
    except (SettingsError, LookupError, FileNotFoundError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return EXIT_SETTINGS

    # Ctrl-C and SIGTERM stop cleanly; SIGINT explicitly too, for a shell that started us with
    # it ignored (Python then leaves it ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        samples = write_samples(settings.samples_dir) if settings.samples_dir else None
        print(f"serve: starting {len(serve.runtime.functions)} functions from {settings.cdk_out} ...", file=sys.stderr)
        statuses = serve.start()
        endpoints = banner.Endpoints(
            http=serve.http.endpoint_url, lambda_api=serve.invoke_api.endpoint_url, s3=serve.s3.endpoint_url
        )
        print(
            banner.render(
                endpoints=endpoints,
                functions=serve.runtime.functions,
                statuses=statuses,
                routes=serve.routes.routes(),
                prefixes={function.name: serve.routes.prefix_of(function.name) for function in serve.runtime.functions},
                demo=serve.demo,
                checkbox_form=samples.checkbox_form if samples else None,
            ),
            flush=True,
        )
        if settings.ready_file is not None:
            _write_ready_file(settings.ready_file, endpoints, serve)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        print("serve: stopping ...", file=sys.stderr)
        dropped = serve.stop()
        if dropped:
            print(f"serve: {dropped} queued Event invocation(s) dropped", file=sys.stderr)
        print("serve: stopped", file=sys.stderr)
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _write_ready_file(path: Path, endpoints: banner.Endpoints, serve: LocalServe) -> None:
    """Endpoints and function names, for programs that start the server (tests, make load)."""
    content = {
        "pid": os.getpid(),
        "http": endpoints.http,
        "lambda": endpoints.lambda_api,
        "s3": endpoints.s3,
        "functions": {
            function.name: {
                "folder": function.served.folder,
                "http_prefix": serve.routes.prefix_of(function.name),
                "memory_mb": function.memory_mb,
                "timeout_seconds": function.timeout_seconds,
                "example_event": serve.demo[function.name].example_event,
            }
            for function in serve.runtime.functions
        },
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content, indent=2))
    partial.replace(path)  # atomic: a reader never sees half a file

"""`make invoke FN=<folder> EVENT=<file>`: run one function's handler locally, in-process.

The handler gets the environment its synthesized stack declares and a Lambda-like context.
Its return value is printed as JSON on stdout; everything the function logs goes to stderr.

With --artifact (`make invoke ... ARTIFACT=1`) the event goes instead to what ships: the
function's artifact built from cdk.out (the staged ZIP asset and layers, or the task root its
Dockerfile's install step builds; tools/artifacts.py, cached under <cdk-out>/.artifacts),
started by the runtime interface client under Lambda's Python (--lambda-python) with nothing
else importable. AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 are passed on.

Buckets the stack creates (the batch predictor's DATA_BUCKET, MODEL_BUCKET...): with those
variables set in your environment, the function uses them. With none set, either way of
running starts an embedded S3 on loopback for the one invocation (tools/local_serve/invoke_s3.py)
holding `make serve`'s demo buckets, models and data under the names the template declares
locally, so every event in events/ runs as given; stderr says so. Exit 0 on an answer, 1 on an
invocation or init error (printed as Lambda reports it), 2 when it cannot be run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback
from contextlib import ExitStack
from pathlib import Path

from tools.cloud_assembly import CloudAssembly
from tools.local_lambda import (
    LocalLambdaContext,
    UnresolvedEnvironmentError,
    apply_environment,
    load_handler,
    local_environment,
)
from tools.local_serve.invoke_s3 import DemoS3, demo_s3, wants_demo_s3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", required=True, help="folder name under functions/, e.g. mask_predictor")
    parser.add_argument("--event", required=True, type=Path, help="JSON file with the event ('-' for stdin)")
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--artifact", action="store_true", help="run the built artifact under Lambda's Python")
    parser.add_argument("--lambda-python", type=Path, help="with --artifact: a CPython of Lambda's version")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        try:
            fn = CloudAssembly(args.cdk_out).function(args.function)
            s3 = None
            if wants_demo_s3(fn, os.environ):
                s3 = stack.enter_context(demo_s3(args.cdk_out, fn, os.environ))
                for note in s3.notes:
                    print(f"invoke: {note}", file=sys.stderr)
        except (OSError, ValueError, LookupError, UnresolvedEnvironmentError) as error:
            print(f"invoke: {error}", file=sys.stderr)
            return 2
        if args.artifact:
            return invoke_artifact(args, s3)
        return invoke_in_process(args, s3)


def invoke_in_process(args: argparse.Namespace, s3: DemoS3 | None) -> int:
    try:
        event = json.load(sys.stdin) if str(args.event) == "-" else json.loads(args.event.read_text())
        fn = CloudAssembly(args.cdk_out).function(args.function)
        if fn.handler is None:
            raise LookupError(f"{fn.function_name} has no handler string in its template")
        shell: dict[str, str] = dict(os.environ)
        if s3 is not None:
            # Only the embedded S3, with dummy credentials: nothing reaches an AWS account.
            for name in [name for name in os.environ if name.startswith("AWS_")]:
                del os.environ[name]
            shell = {**{k: v for k, v in shell.items() if not k.startswith("AWS_")}, **s3.variables}
        environment, notes = local_environment(fn, shell)
        apply_environment(environment)
        if s3 is not None:
            apply_environment({**s3.variables, **s3.aws})
        for note in notes:
            print(f"invoke: {note}", file=sys.stderr)
    except (OSError, ValueError, LookupError, UnresolvedEnvironmentError) as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2

    result_stream = sys.stdout
    # Whatever the function prints (logs, EMF metrics) is log output: keep stdout for the result.
    sys.stdout = sys.stderr
    try:
        handler = load_handler(fn.handler)
        context = LocalLambdaContext(
            function_name=fn.function_name,
            memory_limit_in_mb=fn.memory_mb,
            timeout_seconds=fn.timeout_seconds,
        )
        result, exit_code = handler(event, context), 0
    except Exception as error:  # an unhandled error, reported the way Lambda reports it
        traceback.print_exc(file=sys.stderr)
        result, exit_code = {"errorMessage": str(error), "errorType": type(error).__name__}, 1
    finally:
        sys.stdout = result_stream
    json.dump(result, result_stream, indent=2, ensure_ascii=False)
    result_stream.write("\n")
    return exit_code


# Read by the caller's environment when set there: where S3 is (a local server), not secrets.
_PASSED_ON = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")
# Guards against a hang only.
_INIT_TIMEOUT_SECONDS = 300.0


def invoke_artifact(args: argparse.Namespace, s3: DemoS3 | None = None) -> int:
    from tools.artifact_process import start_artifact
    from tools.artifacts import build_artifact, runtime_provided_set
    from tools.lambda_interpreter import find_lambda_interpreter, how_to_get
    from tools.lambda_runtime_api import RuntimeGone, RuntimeInitFailed

    interpreter = args.lambda_python or find_lambda_interpreter()
    if interpreter is None:
        print(f"invoke: {how_to_get()}", file=sys.stderr)
        return 2
    try:
        event = sys.stdin.buffer.read() if str(args.event) == "-" else args.event.read_bytes()
        json.loads(event)
        assembly = CloudAssembly(args.cdk_out)
        fn = assembly.function(args.function)
        cache_dir = assembly.directory / ".artifacts"
        artifact = build_artifact(assembly, fn, interpreter=interpreter, cache_dir=cache_dir)
        runtime_dir = runtime_provided_set(cache_dir, architecture=fn.architecture)
    except (OSError, ValueError, LookupError, subprocess.CalledProcessError) as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2
    if s3 is not None:  # the embedded S3 and nothing of your AWS setup
        overrides = {
            **{name: os.environ[name] for name in fn.environment if name in os.environ and not name.startswith("AWS_")},
            **s3.variables,
            **s3.aws,
        }
    else:
        overrides = {name: os.environ[name] for name in (*fn.environment, *_PASSED_ON) if name in os.environ}
    for name, value in fn.environment.items():
        if not isinstance(value, str) and name not in overrides:
            print(
                f"invoke: {name} is known at deploy time; a local stand-in name is used (set it to override)",
                file=sys.stderr,
            )
    with tempfile.TemporaryDirectory(prefix=f"{args.function}-tmp-") as tmp:
        with start_artifact(
            artifact,
            interpreter=interpreter,
            runtime_dir=runtime_dir,
            tmp_dir=Path(tmp),
            overrides=overrides,
            log=sys.stderr,
        ) as running:
            try:
                running.wait_for_init(timeout=_INIT_TIMEOUT_SECONDS)
                result = running.invoke(event, timeout=fn.timeout_seconds + 30)
            except RuntimeInitFailed as failure:
                print(failure.init_error.body.decode(errors="replace"))
                return 1
            except (RuntimeGone, TimeoutError) as error:
                print(f"invoke: {error}", file=sys.stderr)
                return 1
    try:
        answer = result.json()
    except ValueError:
        sys.stdout.write(result.body.decode(errors="replace") + "\n")
    else:
        json.dump(answer, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0 if result.succeeded else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""`make invoke FN=<folder> EVENT=<file>`: run one function's handler locally, in-process.

The handler gets the environment its synthesized stack declares and a Lambda-like context.
Its return value is printed as JSON on stdout; everything the function logs goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from tools.cloud_assembly import CloudAssembly
from tools.local_lambda import (
    LocalLambdaContext,
    UnresolvedEnvironmentError,
    apply_environment,
    load_handler,
    local_environment,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", required=True, help="folder name under functions/, e.g. mask_predictor")
    parser.add_argument("--event", required=True, type=Path, help="JSON file with the event ('-' for stdin)")
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    args = parser.parse_args(argv)

    try:
        event = json.load(sys.stdin) if str(args.event) == "-" else json.loads(args.event.read_text())
        fn = CloudAssembly(args.cdk_out).function(args.function)
        if fn.handler is None:
            raise LookupError(f"{fn.function_name} has no handler string in its template")
        environment, notes = local_environment(fn, os.environ)
        apply_environment(environment)
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


if __name__ == "__main__":
    raise SystemExit(main())

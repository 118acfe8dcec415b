"""One row per synthesized function: what `make synth` prints after the CDK CLI has run.

    python -m tools.synth_report --requests 1000000 --duration-ms 50
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.cloud_assembly import CloudAssembly, FunctionDefinition, directory_sizes
from tools.dockerfile import runtime_stage
from tools.lambda_cost import CostInputs, monthly_cost

DEFAULT_REQUESTS = 1_000_000
DEFAULT_DURATION_MS = 50.0
COLUMNS = (
    "stack", "function", "package", "arch", "runtime", "memory", "timeout", "size (zip)",
    "keep-warm", "x86_64 $/mo", "arm64 $/mo",
)


def report_rows(assembly: CloudAssembly, *, requests: int, duration_ms: float) -> list[tuple[str, ...]]:
    return [_row(fn, requests=requests, duration_ms=duration_ms) for fn in assembly.functions()]


def _row(fn: FunctionDefinition, *, requests: int, duration_ms: float) -> tuple[str, ...]:
    inputs = CostInputs(
        memory_mb=fn.memory_mb,
        requests_per_month=requests,
        mean_duration_ms=duration_ms,
        keep_warm_minutes=fn.keep_warm_minutes,
        provisioned_concurrency=fn.provisioned_concurrency,
    )
    return (
        fn.stack_name,
        fn.function_name,
        fn.package_type,
        fn.architecture,
        fn.runtime or _image_base(fn),
        f"{fn.memory_mb} MB",
        f"{fn.timeout_seconds} s",
        _package_size(fn),
        f"every {fn.keep_warm_minutes} min" if fn.keep_warm_minutes else "off",
        f"{monthly_cost(inputs, architecture='x86_64'):.2f}",
        f"{monthly_cost(inputs, architecture='arm64'):.2f}",
    )


def _image_base(fn: FunctionDefinition) -> str:
    if fn.image is None:
        return "?"
    base = runtime_stage(fn.image.context_dir / fn.image.dockerfile, fn.image.build_args).base_image
    return base.rsplit("/", 1)[-1]  # public.ecr.aws/lambda/python:3.13 -> python:3.13


def _package_size(fn: FunctionDefinition) -> str:
    if fn.code_asset_dir is None:
        return "image (built on deploy)"
    zipped = sum(directory_sizes(path)[1] for path in (fn.code_asset_dir, *fn.layer_asset_dirs))
    layers = f" incl. {len(fn.layer_asset_dirs)} layer" if fn.layer_asset_dirs else ""
    return f"{zipped / 1_048_576:.2f} MB{layers}"


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *rows)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in (COLUMNS, *rows)]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="requests per month (default %(default)s)")
    parser.add_argument("--duration-ms", type=float, default=DEFAULT_DURATION_MS, help="mean billed duration (default %(default)s)")
    args = parser.parse_args(argv)
    rows = report_rows(CloudAssembly(args.cdk_out), requests=args.requests, duration_ms=args.duration_ms)
    print(format_table(rows))
    print(
        f"\nCost: {args.requests:,} requests/month at {args.duration_ms:g} ms mean duration"
        " (set REQUESTS= and DURATION_MS=), us-east-1 on-demand prices, free tier ignored,"
        " keep-warm pings and provisioned concurrency included.",
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

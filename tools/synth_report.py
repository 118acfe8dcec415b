"""One row per synthesized function: what `make synth` prints after the CDK CLI has run.

python -m tools.synth_report --requests 1000000 --duration-ms 50
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from tools.cloud_assembly import CloudAssembly, FunctionDefinition, directory_sizes
from tools.dockerfile import runtime_stage
from tools.lambda_cost import CostInputs, monthly_cost

DEFAULT_REQUESTS = 1_000_000
DEFAULT_DURATION_MS = 50.0
COLUMNS = (
    "stack",
    "function",
    "package",
    "arch",
    "runtime",
    "memory",
    "timeout",
    "size (zip)",
    "keep-warm",
    "x86_64 $/mo",
    "arm64 $/mo",
    "provisioned",
    "rollout",
)
# CodeDeploy's predefined Lambda configurations, e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes.
_DEPLOYMENT_CONFIG = re.compile(
    r"CodeDeployDefault\.Lambda(?:(AllAtOnce)|(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?)"
)


def report_rows(assembly: CloudAssembly, *, requests: int, duration_ms: float) -> list[tuple[str, ...]]:
    templates = {name: assembly.template(name) for name in assembly.stack_names()}
    return [
        _row(fn, templates[fn.stack_name]["Resources"], requests=requests, duration_ms=duration_ms)
        for fn in assembly.functions()
    ]


def _row(fn: FunctionDefinition, resources: dict[str, Any], *, requests: int, duration_ms: float) -> tuple[str, ...]:
    # With autoscaling the alias is deployed with the minimum: the capacity billed all month.
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
        provisioned_concurrency(fn, resources),
        rollout_strategy(fn, resources),
    )


def _aliases(fn: FunctionDefinition, resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Alias"
        and resource["Properties"].get("FunctionName") == {"Ref": fn.logical_id}
    }


def provisioned_concurrency(fn: FunctionDefinition, resources: dict[str, Any]) -> str:
    """ "off", a fixed amount, or "min..max @ target%" when Application Auto Scaling tracks
    the alias' utilisation (its ScalableTarget names the alias; its policy gives the target)."""
    alias_ids = set(_aliases(fn, resources))
    for target_id, target in resources.items():
        if target["Type"] != "AWS::ApplicationAutoScaling::ScalableTarget":
            continue
        properties = target["Properties"]
        if properties.get("ScalableDimension") != "lambda:function:ProvisionedConcurrency" or not alias_ids & _refs(
            properties["ResourceId"]
        ):
            continue
        targets = [
            policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
            for policy in resources.values()
            if policy["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"
            and policy["Properties"].get("ScalingTargetId") == {"Ref": target_id}
            and "TargetTrackingScalingPolicyConfiguration" in policy["Properties"]
        ]
        utilisation = f" @ {float(targets[0]) * 100:g}%" if targets else ""
        return f"{properties['MinCapacity']}..{properties['MaxCapacity']}{utilisation}"
    return str(fn.provisioned_concurrency) if fn.provisioned_concurrency else "off"


def rollout_strategy(fn: FunctionDefinition, resources: dict[str, Any]) -> str:
    """How a new version reaches the alias: the CodeDeploy deployment group named in the alias'
    UpdatePolicy and its DeploymentConfigName ("canary 10% 5 min", "linear 10% every 2 min",
    "all at once"), "+ health hook" with a BeforeAllowTrafficHook; "direct" without CodeDeploy."""
    for alias in _aliases(fn, resources).values():
        update = alias.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate")
        if not update:
            continue
        group = resources.get(update["DeploymentGroupName"].get("Ref", ""), {})
        name = group.get("Properties", {}).get("DeploymentConfigName", "?")
        match = _DEPLOYMENT_CONFIG.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            strategy = str(name)
        elif match.group(1):
            strategy = "all at once"
        else:
            kind, percent, minutes = match.group(2).lower(), match.group(3), match.group(4)
            strategy = f"{kind} {percent}% {'every ' if kind == 'linear' else ''}{minutes} min"
        return strategy + (" + health hook" if update.get("BeforeAllowTrafficHook") else "")
    return "direct"


def _refs(value: Any) -> set[str]:
    """Every logical id a CloudFormation value references with Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        return found.union(*(_refs(inner) for key, inner in value.items() if key not in ("Ref", "Fn::GetAtt")))
    if isinstance(value, list):
        return set().union(*(_refs(inner) for inner in value))
    return set()


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
    widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *rows, strict=True)]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in (COLUMNS, *rows)
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument(
        "--requests", type=int, default=DEFAULT_REQUESTS, help="requests per month (default %(default)s)"
    )
    parser.add_argument(
        "--duration-ms", type=float, default=DEFAULT_DURATION_MS, help="mean billed duration (default %(default)s)"
    )
    args = parser.parse_args(argv)
    rows = report_rows(CloudAssembly(args.cdk_out), requests=args.requests, duration_ms=args.duration_ms)
    print(format_table(rows))
    print(
        f"\nCost: {args.requests:,} requests/month at {args.duration_ms:g} ms mean duration"
        " (set REQUESTS= and DURATION_MS=), us-east-1 on-demand prices, free tier ignored,"
        " keep-warm pings and provisioned concurrency (an autoscaled one at its minimum) included.",
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

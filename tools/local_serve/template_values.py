"""Local values for what a template only knows at deploy time: buckets the stack creates.

A function's environment may name a bucket the stack creates (``{"Ref": "BucketsModels..."}``)
or a URI built from one (``Fn::Join``). Locally each such bucket is a bucket of the embedded
S3, named after its construct path (``BatchPredict-dev/Buckets/Models`` ->
``batchpredict-dev-buckets-models``), and the references resolve to that name. Only Ref,
Fn::GetAtt (Arn), Fn::Join, Fn::Sub (without variables maps) and the pseudo parameters are
understood; a value using anything else stays unresolved, and `make serve` says which.
"""

from __future__ import annotations

import re
from typing import Any

from tools.local_lambda import LOCAL_REGION
from tools.local_serve.invoke_protocol import ACCOUNT_ID

PSEUDO_PARAMETERS = {
    "AWS::Region": LOCAL_REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_NOT_IN_BUCKET_NAME = re.compile(r"[^a-z0-9-]+")
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def local_bucket_names(resources: dict[str, Any]) -> dict[str, str]:
    """Logical id -> local name of every AWS::S3::Bucket in the template."""
    names = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        declared = resource.get("Properties", {}).get("BucketName")
        if isinstance(declared, str):
            names[logical_id] = declared
            continue
        path = resource.get("Metadata", {}).get("aws:cdk:path", logical_id).removesuffix("/Resource")
        name = _NOT_IN_BUCKET_NAME.sub("-", path.lower()).strip("-")
        names[logical_id] = name[:63].rstrip("-")
    return names


def resolve(value: Any, buckets: dict[str, str]) -> str | None:
    """The value as a string, with bucket references resolved; None when it cannot be."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref":
        return buckets.get(argument) or PSEUDO_PARAMETERS.get(argument)
    if function == "Fn::GetAtt" and isinstance(argument, list) and argument[0] in buckets:
        name = buckets[argument[0]]
        return {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}.get(argument[1])
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        parts = [resolve(part, buckets) for part in argument[1]]
        return None if None in parts else str(argument[0]).join(str(part) for part in parts)
    if function == "Fn::Sub" and isinstance(argument, str):
        unresolved = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal unresolved
            resolved = resolve({"Ref": match.group(1)}, buckets)
            unresolved = unresolved or resolved is None
            return resolved or ""

        text = _SUB_VARIABLE.sub(substitute, argument)
        return None if unresolved else text
    return None


def deploy_time_values(environment: dict[str, Any], buckets: dict[str, str]) -> dict[str, str]:
    """Local values of the environment variables the template leaves to deploy time."""
    values = {}
    for name, value in environment.items():
        if not isinstance(value, str):
            resolved = resolve(value, buckets)
            if resolved is not None:
                values[name] = resolved
    return values

"""The ids cdk-nag gives wildcard findings, so an acknowledgement names the exact resource.

cdk-nag reports `AwsSolutions-IAM5[Resource::<text>]`, where <text> is the resource flattened
the way its `flattenCfnReference` does: Fn::Join concatenated, `{"Ref": X}` as `<X>`,
`{"Fn::GetAtt": [X, Y]}` as `<X.Y>`, anything else as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct


def flatten_cfn_reference(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(flatten_cfn_reference(item) for item in items)
    if isinstance(value, dict) and "Fn::Sub" in value:
        return flatten_cfn_reference(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return flatten_cfn_reference(value["Fn::ImportValue"])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def wildcard_resource_rule(scope: IConstruct, resource: str) -> str:
    """`AwsSolutions-IAM5[Resource::...]` for one resource ARN (a token or a string)."""
    return f"AwsSolutions-IAM5[Resource::{flatten_cfn_reference(Stack.of(scope).resolve(resource))}]"


def managed_policy_rule(scope: IConstruct, policy: iam.IManagedPolicy) -> str:
    """`AwsSolutions-IAM4[Policy::...]` for one managed policy attached to a role."""
    return f"AwsSolutions-IAM4[Policy::{flatten_cfn_reference(Stack.of(scope).resolve(policy.managed_policy_arn))}]"


def wildcard_resources(policy: iam.Policy) -> list[str]:
    """The flattened wildcard resources of a policy's Allow statements, as cdk-nag sees them."""
    document = Stack.of(policy).resolve(policy.document.to_json())
    found = []
    for statement in document.get("Statement", []):
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            text = flatten_cfn_reference(resource)
            if statement.get("Effect") == "Allow" and "*" in text and text not in found:
                found.append(text)
    return found

"""A managed policy for callers: `lambda:InvokeFunction` on one function, nothing else.

Exported, so the backend's stack (or an administrator) attaches it to the caller's role
instead of writing its own, broader statement.
"""

from __future__ import annotations

from aws_cdk import CfnOutput
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


class InvokerPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        alias: lambda_.IAlias,
        export_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Invoke {export_name.removesuffix('-invoker-policy')} and nothing else",
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"],
                    resources=[function.function_arn, alias.function_arn],
                )
            ],
        )
        CfnOutput(
            self,
            "Arn",
            value=self.policy.managed_policy_arn,
            export_name=export_name,
            description="Attach to the caller's role: lambda:InvokeFunction on this function only",
        )

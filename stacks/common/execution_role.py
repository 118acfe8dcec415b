"""A function's own IAM role: trusted by Lambda only, starting with no permissions at all."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct


class ExecutionRole(Construct):
    """Grants are added by the stack that owns the function; nothing managed, nothing shared."""

    def __init__(self, scope: Construct, construct_id: str, *, description: str, log_group: logs.ILogGroup) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
        )
        # Only this function's log group, instead of AWSLambdaBasicExecutionRole's logs:* on *.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )

"""The account- and region-wide API Gateway setting: the CloudWatch role every REST API's
execution logs are written with (`AWS::ApiGateway::Account`).

One setting per account and region, shared by every REST API there whoever deployed it: so it
lives in its own stack (stacks/account.py), never in a workload stack, and both the role and
the setting are retained when that stack is deleted; deleting a role other APIs still point at
is the failure this avoids (aws/aws-cdk#10878).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.nag_finding import managed_policy_rule

# The AWS managed policy AWS documents for this role (CloudWatch Logs groups and streams named
# API-Gateway-Execution-Logs_*, which API Gateway creates itself).
PUSH_TO_CLOUDWATCH_LOGS = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccountLogging(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        policy = iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_CLOUDWATCH_LOGS)
        self.role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway writes execution logs of every REST API in this account and region with it",
            managed_policies=[policy],
        )
        self.role.apply_removal_policy(RemovalPolicy.RETAIN)
        self.account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(
            self.role,
            rule_id=managed_policy_rule(self.role, policy),
            reason=(
                "The account-level role API Gateway itself assumes to write execution logs; AWS documents this"
                " managed policy for it (log groups API Gateway names and creates itself)."
            ),
        )

"""Account-wide settings the workloads rely on but must not own: API Gateway's CloudWatch role.

Opt-in (EnvironmentSettings.api_gateway_account_logging): deployed once per account and region,
before any REST API turns execution logging on (RestApiSettings.execution_logging). Everything
here is retained when the stack is deleted.
"""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from stacks.common.api_gateway_account import ApiGatewayAccountLogging
from stacks.settings import EnvironmentSettings


class AccountStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=settings.account, region=settings.region),
            description="Account-wide settings: the CloudWatch role API Gateway writes execution logs with (retained)",
        )
        self.api_gateway_logging = ApiGatewayAccountLogging(self, "ApiGatewayLogging")

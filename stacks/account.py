"""Account-wide settings the workloads rely on but must not own: API Gateway's CloudWatch role.

Opt-in (EnvironmentSettings.api_gateway_account_logging): deployed once per account and region,
before any REST API turns execution logging on (RestApiSettings.execution_logging). Everything
here is retained when the stack is deleted.
"""

from __future__ import annotations

from stacks.common.api_gateway_account import ApiGatewayAccountLogging
from stacks.common.workload_stack import EnvironmentStack
from stacks.settings import EnvironmentSettings


class AccountStack(EnvironmentStack):
    DESCRIPTION = "Account-wide settings: the CloudWatch role API Gateway writes execution logs with (retained)"

    def compose(self, settings: EnvironmentSettings) -> None:
        self.api_gateway_logging = ApiGatewayAccountLogging(self, "ApiGatewayLogging")

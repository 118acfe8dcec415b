"""An opt-in CodeDeploy BeforeAllowTraffic hook: the new version answers a health check first.

A small inline function (stacks/common/pre_traffic_hook_handler.py) invokes the version the
`live` alias is about to shift to with {"action": "health"} and reports Failed to CodeDeploy
unless it answers healthy; a failed hook fails the deployment, which rolls back before any
caller reached the new version. Its role may invoke that one version and nothing else; the
deployment group grants it PutLifecycleEventHookExecutionStatus on itself when it takes the hook.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.execution_role import ExecutionRole
from stacks.common.log_group import FunctionLogGroup
from stacks.common.packages import PINNED_PYTHON_REASON, PYTHON_RUNTIME

HANDLER_SOURCE = Path(__file__).with_name("pre_traffic_hook_handler.py")
# Lambda's limit for inline (ZipFile) code.
INLINE_CODE_LIMIT = 4096
# Covers a cold start of the new version (an image function's model load) plus its answer;
# the handler's own read timeout is shorter, so it always gets to report.
HOOK_TIMEOUT_SECONDS = 120


class PreTrafficHealthCheck(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        target: lambda_.IVersion,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function_name = f"{function_name}-pre-traffic"
        self.log_group = FunctionLogGroup(
            self, "Logs", function_name=self.function_name, retention_days=log_retention_days
        ).log_group
        self.role = ExecutionRole(
            self,
            "ExecutionRole",
            description=f"Health-checks each new version of {function_name} before CodeDeploy shifts traffic",
            log_group=self.log_group,
        ).role
        # The version about to receive traffic, and only it.
        self.role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[target.function_arn]))
        source = HANDLER_SOURCE.read_text()
        if len(source) > INLINE_CODE_LIMIT:
            raise ValueError(
                f"{HANDLER_SOURCE.name} is {len(source)} characters; inline code allows {INLINE_CODE_LIMIT}"
            )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=self.function_name,
            description=f"CodeDeploy BeforeAllowTraffic hook: {{'action': 'health'}} to the new {function_name} version",
            runtime=PYTHON_RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(source),
            memory_size=256,
            timeout=Duration.seconds(HOOK_TIMEOUT_SECONDS),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            environment={"TARGET_VERSION_ARN": target.function_arn},
        )
        self._acknowledge_findings()

    def _acknowledge_findings(self) -> None:
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(self.function, rule_id=rule_id, reason=PINNED_PYTHON_REASON)
        acknowledge(
            self.function,
            rule_id="Serverless-LambdaDLQ",
            reason=(
                "CodeDeploy waits for the hook's status report: a hook invocation that fails without"
                " reporting fails the deployment (which rolls back) when the wait times out; there is"
                " no event worth keeping."
            ),
        )
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            rule_id="AwsSolutions-IAM5[Resource::*]",
            reason="X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )

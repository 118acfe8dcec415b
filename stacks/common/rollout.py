"""Every new version reaches a function's `live` alias through CodeDeploy, with automatic rollback.

The alias points at the function's current version, whose logical id is a digest of the code
and configuration (model layers included): a change to any of them is a new version, and
CloudFormation hands the alias update to CodeDeploy (the alias' UpdatePolicy). CodeDeploy shifts
traffic as the settings say (all at once, canary or linear), optionally after a pre-traffic
health check, and rolls back when the deployment fails or any of the given alarms fires.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.logical_ids import logical_id_of
from stacks.common.pre_traffic_hook import PreTrafficHealthCheck
from stacks.settings import Rollout

DEPLOYMENT_CONFIGS: dict[Rollout, codedeploy.ILambdaDeploymentConfig] = {
    "all_at_once": codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
    "canary_10_percent_5_minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    "canary_10_percent_10_minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES,
    "canary_10_percent_15_minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
    "canary_10_percent_30_minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_30_MINUTES,
    "linear_10_percent_every_1_minute": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
    "linear_10_percent_every_2_minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_2_MINUTES,
    "linear_10_percent_every_3_minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    "linear_10_percent_every_10_minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_10_MINUTES,
}
CODEDEPLOY_LAMBDA_POLICY = "AWSCodeDeployRoleForLambdaLimited"


class AliasRollout(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        alias: lambda_.Alias,
        rollout: Rollout,
        rollback_alarms: Sequence[cloudwatch.IAlarm],
        pre_traffic_hook: PreTrafficHealthCheck | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.application = codedeploy.LambdaApplication(self, "Application", application_name=function_name)
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            application=self.application,
            deployment_group_name=alias.alias_name,
            alias=alias,
            deployment_config=DEPLOYMENT_CONFIGS[rollout],
            alarms=list(rollback_alarms),
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            pre_hook=pre_traffic_hook.function if pre_traffic_hook else None,
        )
        if pre_traffic_hook is not None:
            # The hook (its code, its target version, its grants) is updated before the alias
            # update that starts the deployment invokes it (the alias resource only, not the
            # scaling target below it).
            alias_resource = alias.node.default_child
            assert alias_resource is not None  # an L2 alias always has its CfnAlias
            alias_resource.node.add_dependency(pre_traffic_hook)
            hook_id = logical_id_of(pre_traffic_hook.function)
            acknowledge(
                self.deployment_group.role.node.find_child("DefaultPolicy"),
                rule_id=f"AwsSolutions-IAM5[Resource::<{hook_id}.Arn>:*]",
                reason=(
                    "CDK's grant to invoke the pre-traffic hook covers the hook function's own qualifiers"
                    " (versions, aliases) beside its unqualified ARN: one function, the hook, and nothing else."
                ),
            )
        acknowledge(
            self.deployment_group.role,
            rule_id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{CODEDEPLOY_LAMBDA_POLICY}]",
            reason=(
                f"{CODEDEPLOY_LAMBDA_POLICY} is the policy AWS documents and maintains for CodeDeploy's"
                " Lambda deployments (alias updates, provisioned concurrency, alarm reads); the role is this"
                " deployment group's own, trusted by CodeDeploy only, and invokes only the hook granted to it."
            ),
        )

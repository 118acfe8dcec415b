"""The one function construct every workload goes through.

Each function gets its own role, log group (retention, JSON logs), X-Ray tracing, alarms and
dashboard, a `live` alias (optionally with provisioned concurrency, fixed or auto-scaled) with
exactly one explicit asynchronous-invocation configuration, a CodeDeploy rollout of every new
version to that alias (rolled back on any of the function's alarms, optionally health-checked
before traffic shifts), an optional keep-warm schedule, an optional AWS_IAM Function URL, and
outputs callers need. Defaults come from settings; a stack only passes what
differs.

A stack with a real asynchronous source passes its own `AsyncInvoke` (stacks/common/async_invoke.py),
which becomes the alias' one EventInvokeConfig (Lambda allows one per alias).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.common.async_invoke import AsyncInvoke
from stacks.common.compliance import acknowledge
from stacks.common.execution_role import ExecutionRole
from stacks.common.function_monitoring import FunctionMonitoring
from stacks.common.keep_warm import KeepWarm
from stacks.common.log_group import FunctionLogGroup
from stacks.common.logical_ids import logical_id_of
from stacks.common.packages import (
    LAMBDA_ARCHITECTURE,
    PINNED_PYTHON_REASON,
    PYTHON_RUNTIME,
    ImagePackage,
    ZipPackage,
)
from stacks.common.pre_traffic_hook import PreTrafficHealthCheck
from stacks.common.provisioned_concurrency import autoscale_provisioned_concurrency
from stacks.common.rollout import AliasRollout
from stacks.common.vpc_placement import vpc_options as vpc_options_of
from stacks.settings import FunctionSettings, MonitoringSettings

METRICS_NAMESPACE = "MlInference"
LIVE_ALIAS = "live"


class InferenceFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        service_name: str,
        description: str,
        package: ZipPackage | ImagePackage,
        settings: FunctionSettings,
        monitoring: MonitoringSettings,
        alarm_topic: sns.ITopic,
        environment: Mapping[str, str],
        no_dead_letter_queue_reason: str | None = None,
        async_invoke: AsyncInvoke | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function_name = function_name
        self.log_group = FunctionLogGroup(
            self, "Logs", function_name=function_name, retention_days=monitoring.log_retention_days
        ).log_group
        self.role = ExecutionRole(
            self, "ExecutionRole", description=f"Runs {function_name}", log_group=self.log_group
        ).role
        vpc_options = vpc_options_of(self, settings.vpc)

        common: dict[str, Any] = dict(
            function_name=function_name,
            description=description,
            architecture=LAMBDA_ARCHITECTURE[settings.architecture],
            memory_size=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            reserved_concurrent_executions=settings.reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                **environment,
            },
            **vpc_options,
        )
        self.function: lambda_.Function
        if isinstance(package, ZipPackage):
            self.function = lambda_.Function(
                self,
                "Function",
                runtime=PYTHON_RUNTIME,
                code=package.code,
                handler=package.handler,
                layers=list(package.layers),
                **common,
            )
            for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
                acknowledge(self.function, rule_id=rule_id, reason=PINNED_PYTHON_REASON)
        else:
            self.function = lambda_.DockerImageFunction(self, "Function", code=package.code, **common)
        # The alias' only EventInvokeConfig: CDK refuses a second one for the same alias
        # (`configure_async_invoke` raises), as Lambda would.
        self.async_invoke = async_invoke or AsyncInvoke.from_settings(settings)
        # The alias follows `current_version`: a new version (code, model layer, image or
        # configuration changed) moves it, through the CodeDeploy rollout below. With autoscaling,
        # the alias is deployed with the minimum and Application Auto Scaling moves it from there.
        self.alias = self.function.add_alias(
            LIVE_ALIAS,
            provisioned_concurrent_executions=settings.provisioned_concurrency_floor or None,
            retry_attempts=self.async_invoke.retry_attempts,
            max_event_age=self.async_invoke.max_event_age,
            on_failure=self.async_invoke.on_failure,
        )
        self.event_invoke_config = self.alias.node.find_child("EventInvokeConfig")
        self.async_invoke.acknowledge_dropped_events(self.event_invoke_config)
        self.url = (
            self.alias.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
            if settings.function_url
            else None
        )
        if settings.keep_warm_minutes is not None:
            KeepWarm(self, "KeepWarm", target=self.alias, rate_minutes=settings.keep_warm_minutes)
        self.monitoring = FunctionMonitoring(
            self,
            "Monitoring",
            function=self.function,
            function_name=function_name,
            alarm_topic=alarm_topic,
            duration_p99_percent_of_timeout=monitoring.duration_p99_percent_of_timeout,
            metrics_namespace=METRICS_NAMESPACE,
            service_name=service_name,
        )
        self.autoscaling = autoscale_provisioned_concurrency(self.alias, settings)
        self.pre_traffic_check = (
            PreTrafficHealthCheck(
                self,
                "PreTrafficCheck",
                function_name=function_name,
                target=self.function.current_version,
                log_retention_days=monitoring.log_retention_days,
            )
            if settings.pre_traffic_health_check
            else None
        )
        self.rollout = AliasRollout(
            self,
            "Rollout",
            function_name=function_name,
            alias=self.alias,
            rollout=settings.rollout,
            rollback_alarms=self.monitoring.rollback_alarms,
            pre_traffic_hook=self.pre_traffic_check,
        )
        self._add_outputs()
        self._acknowledge_findings(no_dead_letter_queue_reason or self.async_invoke.synchronous_callers_reason())

    def _add_outputs(self) -> None:
        # Output id -> (value, what a caller does with it).
        outputs = {
            "FunctionName": (self.function.function_name, "Function name for boto3 invoke"),
            "FunctionArn": (self.alias.function_arn, f"ARN of the '{LIVE_ALIAS}' alias callers invoke"),
        }
        if self.url is not None:
            outputs["FunctionUrl"] = (self.url.url, "Function URL (AWS_IAM auth: requests must be SigV4-signed)")
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)

    def _acknowledge_findings(self, no_dead_letter_queue_reason: str) -> None:
        # A stack with its own asynchronous sources says how their failures are kept.
        acknowledge(self.function, rule_id="Serverless-LambdaDLQ", reason=no_dead_letter_queue_reason)
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            rule_id=f"AwsSolutions-IAM5[Resource::<{logical_id_of(self.log_group)}.Arn>:*]",
            reason="Log streams are created at run time; the grant is scoped to this function's own log group.",
        )
        acknowledge(
            policy,
            rule_id="AwsSolutions-IAM5[Resource::*]",
            reason="X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )

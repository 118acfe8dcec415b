"""Alarms and a dashboard for one function (cdk-monitoring-constructs), notifying one topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from cdk_monitoring_constructs import (
    AlarmFactoryDefaults,
    DefaultDashboardFactory,
    ErrorCountThreshold,
    LatencyTimeoutPercentageThreshold,
    MonitoringFacade,
    SnsAlarmActionStrategy,
)
from constructs import Construct

from stacks.common.any_alarm import alarm_when_any

# Handlers emit this EMF metric for faults they answer with a 500 instead of raising, so an
# error hidden from Lambda's own Errors metric still raises an alarm.
INTERNAL_ERRORS_METRIC = "InternalErrors"


class FunctionMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        function_name: str,
        alarm_topic: sns.ITopic,
        duration_p99_percent_of_timeout: int,
        metrics_namespace: str,
        service_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.facade = MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=AlarmFactoryDefaults(
                actions_enabled=True,
                alarm_name_prefix=function_name,
                action=SnsAlarmActionStrategy(on_alarm_topic=alarm_topic),
                datapoints_to_alarm=1,
            ),
            dashboard_factory=DefaultDashboardFactory(
                self, "Dashboards", dashboard_name_prefix=function_name, create_alarm_dashboard=False
            ),
        )
        self.facade.monitor_lambda_function(
            lambda_function=function,
            add_fault_count_alarm={"Critical": ErrorCountThreshold(max_error_count=0)},
            add_throttles_count_alarm={"Warning": ErrorCountThreshold(max_error_count=0)},
            add_latency_p99_alarm={
                "Warning": LatencyTimeoutPercentageThreshold(
                    max_latency_percentage_of_timeout=duration_p99_percent_of_timeout
                )
            },
        )
        internal_errors = cloudwatch.Metric(
            namespace=metrics_namespace,
            metric_name=INTERNAL_ERRORS_METRIC,
            dimensions_map={"service": service_name},
            statistic="Sum",
            period=Duration.minutes(5),
        )
        self.internal_errors_alarm = alarm_when_any(
            self,
            "InternalErrorsAlarm",
            metric=internal_errors,
            alarm_name=f"{function_name}-InternalErrors",
            alarm_description=f"{function_name} answered a request with an internal error (500).",
            topic=alarm_topic,
        )
        # Errors, throttles, p99 duration (cdk-monitoring-constructs') and InternalErrors: any of
        # them firing during a deployment rolls the `live` alias back (stacks/common/rollout.py).
        self.rollback_alarms: list[cloudwatch.IAlarm] = [
            *(created.alarm for created in self.facade.created_alarms()),
            self.internal_errors_alarm,
        ]

"""An alarm that fires as soon as a metric is above zero, notifying the stack's alarm topic: for
the counts no cdk-monitoring-constructs monitor covers (a handler's own EMF metric)."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct


def alarm_when_any(
    scope: Construct,
    construct_id: str,
    *,
    metric: cloudwatch.Metric,
    alarm_name: str,
    alarm_description: str,
    topic: sns.ITopic,
) -> cloudwatch.Alarm:
    """Above zero in one period is an alarm; no data is fine (nothing happened)."""
    alarm = metric.create_alarm(
        scope,
        construct_id,
        alarm_name=alarm_name,
        alarm_description=alarm_description,
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return alarm

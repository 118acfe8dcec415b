"""Provisioned concurrency on the `live` alias that follows traffic (opt-in autoscaling)."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

from stacks.settings import FunctionSettings


def autoscale_provisioned_concurrency(
    alias: lambda_.Alias, settings: FunctionSettings
) -> lambda_.IScalableFunctionAttribute | None:
    """Target tracking on the alias' provisioned concurrency utilisation (opt-in)."""
    autoscaling = settings.provisioned_concurrency_autoscaling
    if autoscaling is None:
        return None
    capacity = alias.add_auto_scaling(min_capacity=autoscaling.min_capacity, max_capacity=autoscaling.max_capacity)
    capacity.scale_on_utilization(utilization_target=autoscaling.utilization_target)
    return capacity

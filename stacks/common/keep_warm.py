"""An opt-in EventBridge schedule that pings a function so an environment stays initialised."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common.compliance import acknowledge

# Every handler answers this payload without running inference.
KEEP_WARM_EVENT = {"action": "keep_warm"}


class KeepWarm(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, target: lambda_.IFunction, rate_minutes: int) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Keep-warm ping every {rate_minutes} min",
            schedule=events.Schedule.rate(Duration.minutes(rate_minutes)),
            targets=[
                targets.LambdaFunction(
                    target,
                    event=events.RuleTargetInput.from_object(KEEP_WARM_EVENT),
                    # A late or lost ping is harmless; the next one is minutes away.
                    retry_attempts=0,
                    max_event_age=Duration.minutes(1),
                )
            ],
        )
        acknowledge(
            self.rule,
            rule_id="Serverless-EventBusDLQ",
            reason="A missed keep-warm ping needs no redelivery: the next one follows within minutes.",
        )

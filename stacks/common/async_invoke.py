"""The `live` alias' one asynchronous-invocation configuration.

Asynchronous invocations are bounded on purpose: Lambda's defaults (2 retries, events kept up
to 6 hours) would retry and queue keep-warm pings nobody waits for. By default the alias
retries nothing and drops events older than a minute (FunctionSettings.async_*); a stack with
a real asynchronous source passes its own `AsyncInvoke` (retries, age, on-failure destination).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from stacks.common.compliance import acknowledge
from stacks.settings import FunctionSettings

SYNCHRONOUS_CALLERS_ONLY = (
    "Callers invoke synchronously and receive every error themselves; the only asynchronous events"
    " are keep-warm pings (if any), disposable by design: the live alias retries them {retries} times"
    " and drops them after {age} s."
)


@dataclass(frozen=True, kw_only=True)
class AsyncInvoke:
    """The `live` alias' one asynchronous-invocation configuration (AWS::Lambda::EventInvokeConfig)."""

    retry_attempts: int
    max_event_age: Duration
    # Where Lambda sends an event (with the error) it gave up on; None drops it.
    on_failure: lambda_.IDestination | None = None

    @classmethod
    def from_settings(cls, settings: FunctionSettings) -> AsyncInvoke:
        """The bounds for a function whose only asynchronous source is keep-warm (or none)."""
        return cls(
            retry_attempts=settings.async_retry_attempts,
            max_event_age=Duration.seconds(settings.async_max_event_age_seconds),
        )

    def synchronous_callers_reason(self) -> str:
        """Why no dead-letter queue, for a function whose callers all invoke synchronously."""
        return SYNCHRONOUS_CALLERS_ONLY.format(retries=self.retry_attempts, age=self.max_event_age.to_seconds())

    def acknowledge_dropped_events(self, event_invoke_config: IConstruct) -> None:
        """Without an on-failure destination, events Lambda gives up on are dropped: on purpose."""
        if self.on_failure is None:
            acknowledge(
                event_invoke_config,
                rule_id="Serverless-LambdaAsyncFailureDestination",
                reason=(
                    "No asynchronous source whose events matter: only keep-warm pings (if any), retried"
                    f" {self.retry_attempts} times and dropped after"
                    f" {self.max_event_age.to_seconds()} s on purpose; a lost ping needs no record."
                ),
            )

"""An S3 trigger that never drops an event silently.

Objects created under a prefix (one notification per file suffix) invoke a function alias
asynchronously. Lambda retries a failed event, then hands it, with the error, to an encrypted
SQS queue; an alarm (cdk-monitoring-constructs', on the function's dashboard) fires as soon as
that queue holds a message. The S3 event in the message's
`requestPayload` can be replayed with `aws lambda invoke --invocation-type Event`.

Built in two steps, because the retries, maximum age and failure queue are the target alias'
one EventInvokeConfig, which the function construct creates with the alias: the trigger
(queue, alarm, `async_invoke`) first, passed to InferenceFunction(async_invoke=...); then
`invoke(function)` adds the notifications, and refuses a function configured otherwise.
Keep-warm pings to the same alias share that configuration (Lambda has one per alias): a ping
that still fails after the retries means the function cannot start, and alarms too.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from cdk_monitoring_constructs import MaxMessageCountThreshold, MonitoringFacade
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.inference_function import AsyncInvoke, InferenceFunction
from stacks.common.logical_ids import keep_logical_id
from stacks.common.nag_finding import managed_policy_rule
from stacks.common.s3_prefix_access import S3Location

# The singleton CDK adds to a stack to write bucket notification configurations.
NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
FAILED_EVENTS_RETENTION = Duration.days(14)  # SQS's maximum: time to investigate and replay


class S3Trigger(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: S3Location,
        suffixes: Sequence[str],
        retry_attempts: int,
        max_event_age: Duration,
        alarm_name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._source = source
        self._suffixes = tuple(suffixes)
        self.failure_queue = sqs.Queue(
            self,
            "FailedEvents",
            encryption=sqs.QueueEncryption.SQS_MANAGED,  # no KMS grant needed by the function
            enforce_ssl=True,
            retention_period=FAILED_EVENTS_RETENTION,
        )
        for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                self.failure_queue,
                rule_id=rule_id,
                reason=(
                    "This queue is itself the dead-letter destination: the alias' on-failure destination for"
                    " trigger events Lambda gave up on. Nothing consumes it automatically; its alarm calls a human."
                ),
            )
        # The target alias' EventInvokeConfig (InferenceFunction(async_invoke=...)).
        self.async_invoke = AsyncInvoke(
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_failure=destinations.SqsDestination(self.failure_queue),
        )
        self._alarm_name_prefix = alarm_name_prefix
        self.failure_alarm: cloudwatch.IAlarm | None = None

    def invoke(self, function: InferenceFunction) -> None:
        """Objects created under the source prefix invoke `function`'s live alias, whose
        asynchronous configuration must be this trigger's."""
        if function.async_invoke is not self.async_invoke:
            raise ValueError(
                f"{function.node.path}: its live alias must be created with async_invoke=<this trigger>.async_invoke,"
                " so that trigger events are retried and kept as the trigger's settings say"
            )
        self._alarm_on_failed_events(function.monitoring.facade)
        target = function.alias
        for suffix in self._suffixes:
            self._source.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.LambdaDestination(target),
                s3.NotificationKeyFilter(prefix=self._source.prefix or None, suffix=suffix),
            )
        self._acknowledge_notifications_handler()

    def _alarm_on_failed_events(self, facade: MonitoringFacade) -> None:
        """On the function's dashboard and alarm topic: any message in the failure queue alarms."""
        facade.monitor_sqs_queue(
            queue=self.failure_queue,
            human_readable_name="S3 trigger events that failed after retries",
            add_queue_max_size_alarm={
                "Critical": MaxMessageCountThreshold(
                    max_message_count=0,
                    alarm_name_override=f"{self._alarm_name_prefix}-FailedTriggerEvents",
                    alarm_description_override=(
                        f"S3 trigger events of {self._alarm_name_prefix} failed after retries and wait in the failure"
                        " queue: read the error in each message, fix, then replay its requestPayload."
                    ),
                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            },
        )
        self.failure_alarm = facade.created_alarms()[-1].alarm
        # The same alarm as before it moved into the facade: updated in place, never replaced.
        keep_logical_id(self.failure_alarm, scope=self, construct_id="FailedEventsAlarm")

    def _acknowledge_notifications_handler(self) -> None:
        """The function CDK adds to write the bucket's notification configuration at deploy time
        (its s3:PutBucketNotification grant is already scoped to the data bucket)."""
        handler = Stack.of(self).node.find_child(NOTIFICATIONS_HANDLER_ID)
        role = handler.node.find_child("Role")
        acknowledge(
            role,
            rule_id=managed_policy_rule(
                role, iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")
            ),
            reason="CDK's deploy-time BucketNotificationsHandler only writes its own logs with it; CDK fixes its role.",
        )

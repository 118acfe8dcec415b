"""The SNS topic a stack's alarms notify, with an optional e-mail subscription."""

from __future__ import annotations

from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.common.compliance import acknowledge


class AlarmTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", enforce_ssl=True)
        if email:
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            acknowledge(
                subscription,
                rule_id="Serverless-SNSRedrivePolicy",
                reason=(
                    "SNS retries e-mail delivery itself, and an undelivered notification is not"
                    " lost information: the alarm's state and history stay in CloudWatch."
                ),
            )
        acknowledge(
            self.topic,
            rule_id="AwsSolutions-SNS2",
            reason=(
                "Alarm notifications carry only alarm names and states. CloudWatch cannot publish"
                " to a topic encrypted with the AWS-managed SNS key, and a customer-managed key"
                " would add $1/month per stack for no protected data."
            ),
        )

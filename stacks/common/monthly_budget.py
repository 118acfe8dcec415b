"""An opt-in AWS Budgets cost alarm for one workload, notifying the stack's alarm topic.

The budget counts the costs of resources tagged `workload=<name>` (every stack tags its
resources so); activate `workload` as a cost allocation tag in the Billing console once per
account, or the budget sees no costs.
"""

from __future__ import annotations

from aws_cdk import Stack, Tags
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

WORKLOAD_TAG = "workload"


def tag_workload(stack: Stack, workload: str) -> None:
    """Tag every resource of `stack` with the workload name its budget filters on."""
    Tags.of(stack).add(WORKLOAD_TAG, workload)


class MonthlyBudget(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workload: str,
        limit_usd: float,
        topic: sns.ITopic,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        subscribers = [budgets.CfnBudget.SubscriberProperty(address=topic.topic_arn, subscription_type="SNS")]
        if email:
            subscribers.append(budgets.CfnBudget.SubscriberProperty(address=email, subscription_type="EMAIL"))
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{workload}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=limit_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{WORKLOAD_TAG}${workload}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=notification_type,
                        comparison_operator="GREATER_THAN",
                        threshold=100,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                # Spent, and on course to spend, more than the limit this month.
                for notification_type in ("ACTUAL", "FORECASTED")
            ],
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )

"""Why the job's role holds the wildcards cdk-nag finds, each acknowledged by its exact resource."""

from __future__ import annotations

from typing import cast

from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from stacks.common.compliance import acknowledge
from stacks.common.nag_finding import wildcard_resource_rule, wildcard_resources
from stacks.common.s3_prefix_access import S3Location


def acknowledge_job_findings(
    state_machine: sfn.StateMachine, *, map_run_arns: list[str], data: S3Location, manifests: S3Location
) -> None:
    """Log delivery and X-Ray (no resource-level permissions), DescribeMapRun on this state
    machine's own map runs, the data and manifest prefixes, and CDK's child-workflow grant."""
    policy = state_machine.role.node.find_child("DefaultPolicy")
    acknowledge(
        policy,
        rule_id="AwsSolutions-IAM5[Resource::*]",
        reason=(
            "Step Functions' log delivery actions (logs:CreateLogDelivery...) and X-Ray's"
            " PutTraceSegments support no resource-level permissions; CDK adds exactly those."
        ),
    )
    for arn in map_run_arns:
        acknowledge(
            policy,
            rule_id=wildcard_resource_rule(state_machine, arn),
            reason=(
                "Map run ids are generated per execution; DescribeMapRun is limited to this state"
                " machine's own labelled Map states."
            ),
        )
    for location, access in ((data, "reading CSV rows"), (manifests, "writing the Map run manifest")):
        acknowledge(
            policy,
            rule_id=wildcard_resource_rule(state_machine, location.objects_arn),
            reason=f"Object keys are chosen per job; {access} is limited to this one prefix.",
        )
    # CDK's own grant for Distributed Map child workflows: Describe/Stop/RedriveExecution.
    distributed_map_policy = cast(iam.Policy, state_machine.node.find_child("DistributedMapPolicy"))
    for resource in wildcard_resources(distributed_map_policy):
        acknowledge(
            distributed_map_policy,
            rule_id=f"AwsSolutions-IAM5[Resource::{resource}]",
            reason=(
                "Executions of this state machine only (child workflows of its Distributed Maps);"
                " execution ids are generated at run time."
            ),
        )

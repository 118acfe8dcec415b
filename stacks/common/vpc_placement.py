"""A function's place in an existing VPC: its private subnets and an egress-only security group."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stacks.settings import VpcPlacement


def vpc_options(scope: Construct, placement: VpcPlacement | None) -> dict[str, object]:
    """Subnets and a security group in an existing VPC, without a lookup (works offline)."""
    if placement is None:
        return {}
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id=placement.vpc_id,
        availability_zones=list(placement.availability_zones),
        private_subnet_ids=list(placement.private_subnet_ids),
    )
    security_group = ec2.SecurityGroup(
        scope, "SecurityGroup", vpc=vpc, description="Function ENIs: egress only", allow_all_outbound=True
    )
    return {
        "vpc": vpc,
        "vpc_subnets": ec2.SubnetSelection(subnets=vpc.private_subnets),
        "security_groups": [security_group],
    }

"""cdk-nag rule packs run on every synth; an unacknowledged finding fails it."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct


def add_compliance_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def acknowledge(construct: IConstruct, *, rule_id: str, reason: str) -> None:
    """Accept one cdk-nag finding on `construct` (and below), with the reason on record."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))

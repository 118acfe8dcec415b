"""cdk-nag runs on every synth: our stacks pass it, and a real violation fails the synth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from stacks.common.compliance import add_compliance_checks


def test_mask_predictor_stacks_synth_with_no_unacknowledged_findings(
    dev_mask: tuple[Stack, Template], prod_mask: tuple[Stack, Template]
) -> None:
    for stack, _ in (dev_mask, prod_mask):
        report = json.loads((Path(stack.node.root.outdir) / "validation-report.json").read_text())
        assert report["pluginReports"] == [] or all(not plugin["violations"] for plugin in report["pluginReports"])


def test_a_violation_fails_the_synth(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Violating")
    sns.Topic(stack, "PlainTopic")  # no TLS enforcement, no encryption
    add_compliance_checks(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SNS3"):
        app.synth()

"""cfn-lint (pinned) over every template the real `cdk synth` writes, in every environment,
with the repository's one configuration (.cfnlintrc.yaml): no finding of any level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.settings import ENVIRONMENTS
from tests.support.cdk_cli import CliSynth
from tests.support.cfn_lint import cfn_lint, described


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_synthesized_template_passes_cfn_lint(environment: str, cli_synths: dict[str, CliSynth]) -> None:
    synth = cli_synths[environment]
    templates = [synth.outdir / f"{name}.template.json" for name in synth.assembly.stack_names()]
    assert len(templates) == 4 and all(t.is_file() for t in templates)
    findings = cfn_lint(templates, ENVIRONMENTS[environment].region)
    assert findings == [], described(findings)


def test_the_configuration_reports_errors_and_informational_findings_and_ignores_cdks_depends_on(
    tmp_path: Path,
) -> None:
    """The lint above can fail: the same command on a template with one error (a retired
    runtime), one informational finding (Fn::Join with no delimiter) and a redundant DependsOn."""
    assume = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [assume]}},
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["Role"],
                "Properties": {
                    "Runtime": "python2.7",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": {"Fn::Join": ["", ["def handler(event, context):", " return 1"]]}},
                },
            },
        }
    }
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(template))
    findings = cfn_lint([path], "us-east-1")
    assert sorted(f["Rule"]["Id"] for f in findings) == ["E2533", "I1022"], described(findings)


def test_the_rollout_variant_passes_cfn_lint(rollout_mask) -> None:
    """The pre-traffic hook, its grants and the provisioned concurrency autoscaling (opt-ins no
    environment turns on yet) lint clean too."""
    stack, _ = rollout_mask
    template = Path(stack.node.root.outdir) / f"{stack.stack_name}.template.json"
    findings = cfn_lint([template], stack.region)
    assert findings == [], described(findings)

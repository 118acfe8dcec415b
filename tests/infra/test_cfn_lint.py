"""cfn-lint (pinned) over every template the real `cdk synth` writes, in every environment,
with the repository's one configuration (.cfnlintrc.yaml): no finding of any level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.settings import ENVIRONMENTS
from tests.support.cdk_cli import CliSynth

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / ".cfnlintrc.yaml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")  # the virtualenv's, as pinned
CRASHED = 1  # cfn-lint's exit status is a bit mask: 2 error, 4 warning, 8 informational


def cfn_lint(templates: list[Path], region: str) -> list[dict[str, Any]]:
    command = [str(CFN_LINT), "--config-file", str(CONFIG), "--format", "json", "--regions", region, "--"]
    result = subprocess.run(command + [str(t) for t in templates], cwd=REPO_ROOT, capture_output=True, text=True)
    assert not result.returncode & CRASHED, result.stderr[-3000:]
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def described(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{f['Rule']['Id']} {Path(f['Filename']).name}:{f['Location']['Start']['LineNumber']} {f['Message']}"
        for f in findings
    )


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_synthesized_template_passes_cfn_lint(environment: str, cli_synths: dict[str, CliSynth]) -> None:
    synth = cli_synths[environment]
    templates = [synth.outdir / f"{name}.template.json" for name in synth.assembly.stack_names()]
    assert len(templates) == 4 and all(t.is_file() for t in templates)
    findings = cfn_lint(templates, ENVIRONMENTS[environment].region)
    assert findings == [], described(findings)


def test_the_configuration_reports_errors_and_informational_findings_and_ignores_cdks_depends_on(tmp_path: Path) -> None:
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


def test_the_rollout_variant_passes_cfn_lint(rollout_mask) -> None:  # type: ignore[no-untyped-def]
    """The pre-traffic hook, its grants and the provisioned concurrency autoscaling (opt-ins no
    environment turns on yet) lint clean too."""
    stack, _ = rollout_mask
    template = Path(stack.node.root.outdir) / f"{stack.stack_name}.template.json"
    findings = cfn_lint([template], stack.region)
    assert findings == [], described(findings)

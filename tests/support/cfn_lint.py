"""cfn-lint (the virtualenv's, as pinned) over templates, with the repository's one configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from stacks.common.paths import REPO_ROOT

CONFIG = REPO_ROOT / ".cfnlintrc.yaml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")  # the virtualenv's, as pinned
CRASHED = 1  # cfn-lint's exit status is a bit mask: 2 error, 4 warning, 8 informational


def cfn_lint(templates: list[Path], region: str) -> list[dict[str, Any]]:
    command = [str(CFN_LINT), "--config-file", str(CONFIG), "--format", "json", "--regions", region, "--"]
    result = subprocess.run(command + [str(t) for t in templates], cwd=REPO_ROOT, capture_output=True, text=True)
    assert not result.returncode & CRASHED, result.stderr[-3000:]
    return json.loads(result.stdout)


def described(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{f['Rule']['Id']} {Path(f['Filename']).name}:{f['Location']['Start']['LineNumber']} {f['Message']}"
        for f in findings
    )

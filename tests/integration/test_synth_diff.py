"""`make synth-diff` end to end in a temporary clone: the pinned CDK CLI synthesizes the base
commit in a git worktree and the changed working tree, and the report puts a memory change
under changed resources and an IAM action under security (FAIL_ON=security fails only then).

One clone, one base commit (this checkout's HEAD plus the tool), two cases of two synths each.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks.common.paths import REPO_ROOT

# The dev mask predictor's memory: the first MaskPredictorSettings in stacks/settings.py is dev's.
DEV_MASK_MEMORY = re.compile(r"(mask_predictor=MaskPredictorSettings\(\s*function=FunctionSettings\()memory_mb=512\b")
IAM_STATEMENT = """
        from aws_cdk import aws_iam as iam  # synth-diff test: one more action for the role

        self.predictor.function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::synth-diff-test/models/model.json"])
        )
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    markdown: str
    summary: str


def git(clone: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=clone,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = tmp_path_factory.mktemp("synth-diff") / "repo"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    # The base commit: this checkout's HEAD plus the tool and its make target as they are here.
    shutil.copytree(
        REPO_ROOT / "tools" / "synth_diff",
        clone / "tools" / "synth_diff",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(REPO_ROOT / "Makefile", clone / "Makefile")
    git(clone, "add", "tools/synth_diff", "Makefile")
    git(clone, "commit", "--quiet", "--allow-empty", "-m", "base for synth-diff")
    for shared in (".venv", "node_modules"):  # this checkout's, as make setup left them
        (clone / shared).symlink_to(REPO_ROOT / shared)
    return clone


def synth_diff(clone: Path, *, fail_on: str, tmp_path: Path) -> Run:
    summary = tmp_path / "step-summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "PYTHONPATH", "GITHUB_"))}
    completed = subprocess.run(
        # -o: the symlinked .venv and node_modules are installed; never reinstall them from here.
        [
            "make",
            "-o",
            ".venv/.installed",
            "-o",
            "node_modules/.installed",
            "synth-diff",
            "ENV=dev",
            f"FAIL_ON={fail_on}",
        ],
        cwd=clone,
        env={**env, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    # make exits 2 whenever a recipe fails; the tool's own status is in make's "Error <n>".
    failed_on_request = completed.returncode == 2 and "synth-diff] Error 1" in completed.stderr
    assert completed.returncode == 0 or failed_on_request, completed.stdout[-3000:] + completed.stderr[-3000:]
    return Run(
        1 if failed_on_request else 0,
        completed.stdout,
        (clone / "cdk.out.diff" / "synth-diff.md").read_text(),
        summary.read_text() if summary.exists() else "",
    )


def synth_diff_of_an_edit(
    clone: Path, relative: str, edit: Callable[[str], str], *, fail_on: str, tmp_path: Path
) -> Run:
    """`make synth-diff` with one file of the clone edited, then put back as committed."""
    path = clone / relative
    path.write_text(edit(path.read_text()))
    try:
        return synth_diff(clone, fail_on=fail_on, tmp_path=tmp_path)
    finally:
        git(clone, "checkout", "--", relative)


def test_memory_change_is_a_changed_resource_not_security(clone: Path, tmp_path: Path) -> None:
    def dev_mask_memory_1024(text: str) -> str:
        changed, replaced = DEV_MASK_MEMORY.subn(r"\1memory_mb=1024", text, count=1)
        assert replaced == 1, "the dev mask predictor's memory_mb=512 is no longer where this test looks"
        return changed

    run = synth_diff_of_an_edit(
        clone, "stacks/settings.py", dev_mask_memory_1024, fail_on="security", tmp_path=tmp_path
    )
    assert run.returncode == 0
    md = run.markdown
    assert "**no security-relevant change, no replacement or removal" in md
    assert "### 🔐 Security-relevant" not in md
    mask = md[md.index("## MaskPredictor-dev") :]
    changed = mask[mask.index("### ✏️ Changed (1)") : mask.index("### 📦")]
    assert "**AWS::Lambda::Function** `Predictor/Function`" in changed and "`MemorySize: 512 → 1024`" in changed
    assert "publishes a new version" in mask
    assert "| Sentiment-dev | no changes |" in md and "| BatchPredict-dev | no changes |" in md
    assert "MemorySize: 512 → 1024" in run.stdout  # the text version
    assert "<summary><code>cdk diff MaskPredictor-dev</code></summary>" in md and "[~] MemorySize" in md
    assert run.summary.strip() == md.strip()


def test_iam_action_is_security_and_fails_on_security(clone: Path, tmp_path: Path) -> None:
    run = synth_diff_of_an_edit(
        clone, "stacks/mask_predictor.py", lambda text: text + IAM_STATEMENT, fail_on="security", tmp_path=tmp_path
    )
    assert run.returncode == 1
    md = run.markdown
    assert "**1 security-relevant change(s), no replacement or removal" in md
    security = md[md.index("### 🔐 Security-relevant (1)") :]
    security = security[: security.index("<details>")]
    assert "**AWS::IAM::Policy** `Predictor/ExecutionRole/Role/DefaultPolicy`" in security
    assert "PolicyDocument: + Allow s3:GetObject on arn:aws:s3:::synth-diff-test/models/model.json" in security
    assert "### ✏️ Changed" not in md and "### 🚨" not in md
    assert "| MaskPredictor-dev | changed | **1** | 0 | 0 | 0 |" in md

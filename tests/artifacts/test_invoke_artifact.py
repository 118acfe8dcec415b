"""`make invoke FN=... EVENT=... ARTIFACT=1` end to end: `python -m tools.invoke --artifact`
against a synthesized cdk.out, the answer on stdout, the function's logs on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from stacks.common.paths import REPO_ROOT
from tools.cloud_assembly import CloudAssembly

# Guards against a hang only.
TIMEOUT_SECONDS = 600


def run_invoke(
    bundled_app: CloudAssembly, lambda_python: Path, folder: str, event: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--artifact",
            "--lambda-python",
            str(lambda_python),
            "--function",
            folder,
            "--event",
            event,
            "--cdk-out",
            str(bundled_app.directory),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def test_invoke_artifact_prints_the_answer_and_logs_apart(bundled_app: CloudAssembly, lambda_python: Path) -> None:
    completed = run_invoke(bundled_app, lambda_python, "mask_predictor", "events/mask_predictor/single.json")
    assert completed.returncode == 0, completed.stderr[-3000:]
    answer = json.loads(completed.stdout)  # nothing but the answer on stdout
    assert answer["tokens"] == ["3M", "Aura", "9205+", "N95"]
    assert "model loaded" in completed.stderr, "the function's logs go to stderr"


def test_invoke_artifact_of_an_unknown_function_exits_2(bundled_app: CloudAssembly, lambda_python: Path) -> None:
    completed = run_invoke(bundled_app, lambda_python, "no_such_function", "events/mask_predictor/single.json")
    assert completed.returncode == 2 and completed.stdout == ""
    assert "no function from functions/no_such_function" in completed.stderr

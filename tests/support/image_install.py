"""A container function's install step, read from its Dockerfile, its task root built by that
very step under Lambda's CPython (the session's artifacts, tests/support/artifacts.py), and
scripts run against it with nothing else importable.

Every functions/<folder>/Dockerfile has one RUN in its runtime stage:
`python3 /context/tools/task_root.py --context /context --function <folder> --target ... [--copy ...]`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from stacks.common.paths import REPO_ROOT
from tests.support.artifacts import Artifacts
from tools.dockerfile import InstallStep, parse_dockerfile
from tools.dockerfile import install_step as read_install_step
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get

INSTALL_COMMAND = ("python3", "/context/tools/task_root.py")


def install_step(folder: str) -> InstallStep:
    """functions/<folder>/Dockerfile's install step."""
    return install_step_of(REPO_ROOT / "functions" / folder / "Dockerfile")


def install_step_of(path: Path) -> InstallStep:
    """The runtime stage's only RUN, which must be the task-root script, ARG defaults substituted."""
    runtime = parse_dockerfile(path).stages[-1]
    assert len(runtime.all("RUN")) == 1, f"{path}: the runtime stage must have exactly one RUN"
    assert not runtime.all("COPY") and not runtime.all("ADD"), "the task root comes from the install step only"
    step = read_install_step(path)
    assert tuple(step.command) == INSTALL_COMMAND, f"{path}: RUN {step.command!r} is not tools/task_root.py"
    return step


def image_task_root(artifacts: Artifacts, folder: str) -> Path:
    """The function's /var/task as its Dockerfile's install step builds it (tools/artifacts.py)."""
    step = install_step(folder)
    assert step.one("--function") == folder and step.one("--context") == "/context"
    return artifacts[folder].task_root


def runtime_dir(artifacts: Artifacts) -> Path:
    """What the Lambda runtime provides (awslambdaric, boto3), for x86_64."""
    return artifacts.runtime_dir("x86_64")


def run_isolated(
    script: str, *, paths: list[Path], environment: dict[str, str], stdin: str | None = None
) -> dict[str, Any]:
    """`script` under Lambda's CPython with only `paths` and the standard library importable
    (-I: no PYTHON* variables, user site or script directory; -S: no site-packages); its last
    stdout line as JSON."""
    lambda_python = find_lambda_interpreter()
    assert lambda_python is not None, how_to_get()
    completed = subprocess.run(
        [str(lambda_python), "-I", "-S", "-c", f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}\n" + script],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **environment},  # nothing may need a home
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])

"""A container function's install step, read from its Dockerfile, and its task root built by that
very step under Lambda's CPython, once per test session.

Every functions/<folder>/Dockerfile has one RUN in its runtime stage:
`python3 /context/tools/task_root.py --context /context --function <folder> --target ... [--copy ...]`.
`install_step` reads it; `image_task_root` runs it (ARG defaults substituted, the sentiment
model stage standing in as the committed fixture, as MODEL_SOURCE=prebuilt builds it).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.dockerfile import parse_dockerfile
from tools.image_task_root import build_image_task_root, isolated_python, runtime_provided_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_COMMAND = ("python3", "/context/tools/task_root.py")
# What a bind mount from another build stage stands for without Docker.
STAGE_MOUNT_STAND_INS = {"model": REPO_ROOT / "fixtures" / "sentiment" / "model"}
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass(frozen=True)
class InstallStep:
    arguments: dict[str, list[str]]  # option -> its values, in order
    mounts: list[dict[str, str]]  # each --mount's options

    def one(self, option: str) -> str:
        (value,) = self.arguments[option]
        return value


def install_step(folder: str) -> InstallStep:
    """The runtime stage's only RUN, which must be the task-root script."""
    dockerfile = parse_dockerfile(REPO_ROOT / "functions" / folder / "Dockerfile")
    runtime = dockerfile.stages[-1]
    (run,) = runtime.all("RUN")
    assert not runtime.all("COPY") and not runtime.all("ADD"), "the task root comes from the install step only"
    tokens = shlex.split(run.arguments)
    mounts = [dict(option.partition("=")[::2] for option in token.removeprefix("--mount=").split(","))
              for token in tokens if token.startswith("--mount=")]
    command = [token for token in tokens if not token.startswith("--mount=")]
    assert tuple(command[:2]) == INSTALL_COMMAND, f"{folder}: RUN {run.arguments!r} is not tools/task_root.py"
    arguments: dict[str, list[str]] = {}
    for option, value in zip(command[2::2], command[3::2], strict=True):
        arguments.setdefault(option, []).append(value)
    defaults = {**dockerfile.global_args, **runtime.args()}
    substituted = {
        option: [_VARIABLE.sub(lambda m: defaults.get(m.group(1) or m.group(2), m.group(0)), value) for value in values]
        for option, values in arguments.items()
    }
    return InstallStep(arguments=substituted, mounts=mounts)


def local_copies(step: InstallStep) -> list[str]:
    """The step's --copy values with mount targets of other build stages replaced by stand-ins."""
    stage_targets = {mount["target"]: STAGE_MOUNT_STAND_INS[mount["from"]] for mount in step.mounts if "from" in mount}
    copies = []
    for value in step.arguments.get("--copy", []):
        source, _, destination = value.partition("=")
        copies.append(f"{stage_targets.get(source, source)}={destination}")
    return copies


_task_roots: dict[str, Path] = {}
_runtime: list[Path] = []


def image_task_root(folder: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The function's /var/task, built once per session by its Dockerfile's install step."""
    if folder not in _task_roots:
        step = install_step(folder)
        assert step.one("--function") == folder and step.one("--context") == "/context"
        destination = tmp_path_factory.mktemp(f"task-root-{folder}") / "task"
        _task_roots[folder] = build_image_task_root(folder, destination, copies=local_copies(step))
    return _task_roots[folder]


def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the Lambda runtime provides (awslambdaric, boto3), once per session."""
    if not _runtime:
        _runtime.append(runtime_provided_dir(tmp_path_factory.mktemp("lambda-runtime") / "runtime"))
    return _runtime[0]


def run_isolated(
    script: str, *, paths: list[Path], environment: dict[str, str], stdin: str | None = None
) -> dict[str, Any]:
    """`script` under Lambda's CPython with only `paths` importable; its last stdout line as JSON."""
    completed = subprocess.run(
        isolated_python(script, paths),
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **environment},  # nothing may need a home
        input=stdin, capture_output=True, text=True, timeout=300, cwd="/",
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])

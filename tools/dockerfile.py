"""Reads what matters of a function's Dockerfile: the runtime stage's base image, CMD and ENV.

Dockerfiles cannot be built here (no Docker engine), so their settings are checked and used
statically: tests compare them with the stack, and `make invoke` runs the CMD handler with
the ENV the image would set.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# What the AWS Lambda base images define before a Dockerfile's own instructions.
LAMBDA_BASE_IMAGE_ENV = {"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass
class Stage:
    base_image: str
    name: str | None
    platform: str | None
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for instruction, argument in _instructions(path.read_text()):
        if instruction == "FROM":
            words = argument.split()
            platform = next((w.split("=", 1)[1] for w in words if w.startswith("--platform=")), None)
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            env = dict(LAMBDA_BASE_IMAGE_ENV) if words[0].startswith("public.ecr.aws/lambda/") else {}
            stages.append(Stage(base_image=words[0], name=name, platform=platform, env=env))
        elif instruction == "ENV" and stages:
            stage = stages[-1]
            for pair in shlex.split(argument):
                key, _, value = pair.partition("=")
                stage.env[key] = _VARIABLE.sub(lambda m: stage.env.get(m.group(1) or m.group(2), ""), value)
        elif instruction == "CMD" and stages:
            stages[-1].cmd = json.loads(argument)  # exec form; Lambda needs the handler string
    return stages


def runtime_stage(path: Path) -> Stage:
    """The last stage: what the image runs."""
    stages = parse_dockerfile(path)
    if not stages:
        raise ValueError(f"{path} has no FROM instruction")
    return stages[-1]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, argument) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    if current:
        logical.append(current)
    pairs = []
    for line in logical:
        instruction, _, argument = line.partition(" ")
        pairs.append((instruction.upper(), argument.strip()))
    return pairs

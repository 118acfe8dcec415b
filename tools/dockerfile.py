"""Reads a function's Dockerfile: its instructions, stages, and the runtime stage's base image,
CMD and ENV, and the files its install step copies in.

Dockerfiles cannot be built here (no Docker engine), so their settings are checked and used
statically: tests compare them with the stack, and `make invoke` runs the CMD handler with
the ENV the image would set.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# What the AWS Lambda base images define before a Dockerfile's own instructions.
LAMBDA_BASE_IMAGE_ENV = {"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_FROM = re.compile(r"(?:--platform=(\S+)\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)


class Instruction(NamedTuple):
    keyword: str  # upper case: FROM, RUN, COPY...
    arguments: str


@dataclass
class Stage:
    base_image: str
    name: str | None
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None

    def all(self, keyword: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.keyword == keyword]

    def args(self) -> dict[str, str]:
        """The stage's ARGs and their defaults ('' for none)."""
        found = {}
        for instruction in self.all("ARG"):
            name, _, default = instruction.arguments.partition("=")
            found[name.strip()] = default.strip()
        return found


@dataclass
class Dockerfile:
    global_args: dict[str, str]  # ARGs before the first FROM
    stages: list[Stage]


def instructions(text: str) -> list[Instruction]:
    """The instructions in order, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    if pending:
        logical.append(pending)
    found = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        found.append(Instruction(keyword.upper(), arguments.strip()))
    return found


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """`text` with each $NAME and ${NAME} replaced by its value in `values` (unknown: empty)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)


def parse_dockerfile(path: Path, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """`build_args` (as `docker build --build-arg` passes them) override the ARG defaults used
    in FROM lines; without them, the defaults apply."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions(path.read_text()):
        keyword, arguments = instruction
        if keyword == "FROM":
            match = _FROM.fullmatch(arguments)
            if match is None:
                raise ValueError(f"{path}: cannot read FROM {arguments!r}")
            values = {**global_args, **(build_args or {})}
            base_image = _substitute(match.group(2), values)
            env = dict(LAMBDA_BASE_IMAGE_ENV) if base_image.startswith("public.ecr.aws/lambda/") else {}
            stages.append(Stage(base_image=base_image, name=match.group(3), platform=match.group(1), env=env))
            continue
        if not stages:
            if keyword != "ARG":
                raise ValueError(f"{path}: only ARG may precede the first FROM, found {keyword}")
            name, _, default = arguments.partition("=")
            global_args[name.strip()] = default.strip()
            continue
        stage = stages[-1]
        stage.instructions.append(instruction)
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                stage.env[key] = _substitute(value, stage.env)
        elif keyword == "CMD":
            stage.cmd = json.loads(arguments)  # exec form; Lambda needs the handler string
    return Dockerfile(global_args=global_args, stages=stages)


def runtime_stage(path: Path, build_args: Mapping[str, str] | None = None) -> Stage:
    """The last stage: what the image runs."""
    stages = parse_dockerfile(path, build_args).stages
    if not stages:
        raise ValueError(f"{path} has no FROM instruction")
    return stages[-1]


@dataclass(frozen=True)
class InstallStep:
    """The runtime stage's RUN (each image's one install step, tools/task_root.py), parsed."""

    command: list[str]  # the program and its script: ["python3", "/context/tools/task_root.py"]
    arguments: dict[str, list[str]]  # option -> its values, in order, ARGs substituted
    mounts: list[dict[str, str]]  # each --mount's options

    def one(self, option: str) -> str:
        (value,) = self.arguments[option]
        return value

    def bind_mounts(self, context_dir: Path) -> dict[str, Path]:
        """Bind mounts of the build context: target inside the build -> the folder here."""
        return {
            mount["target"]: context_dir / mount.get("source", "").lstrip("/")
            for mount in self.mounts
            if mount.get("type", "bind") == "bind" and "from" not in mount
        }


def install_step(path: Path, build_args: Mapping[str, str] | None = None) -> InstallStep:
    """The runtime stage's last RUN as `program script --option value ...`, with the ARGs'
    defaults (or `build_args`) substituted; a variable no ARG names stays as written."""
    dockerfile = parse_dockerfile(path, build_args)
    runtime = dockerfile.stages[-1]
    runs = runtime.all("RUN")
    tokens = shlex.split(runs[-1].arguments) if runs else []
    mounts = [
        dict(option.partition("=")[::2] for option in token.removeprefix("--mount=").split(","))
        for token in tokens
        if token.startswith("--mount=")
    ]
    command = [token for token in tokens if not token.startswith("--mount=")]
    values = {**dockerfile.global_args, **runtime.args()}
    values.update({name: value for name, value in (build_args or {}).items() if name in values})  # declared ARGs only
    arguments: dict[str, list[str]] = {}
    for option, value in zip(command[2::2], command[3::2], strict=True):
        substituted = _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), value)
        arguments.setdefault(option, []).append(substituted)
    return InstallStep(command=command[:2], arguments=arguments, mounts=mounts)


def baked_files(context_dir: Path, dockerfile: str, build_args: Mapping[str, str]) -> dict[str, Path]:
    """What the runtime stage's install step copies into the image (`--copy SOURCE=DEST` of
    tools/task_root.py, build arguments substituted): path in the image -> the file in the
    build context it comes from."""
    step = install_step(context_dir / dockerfile, build_args)
    binds = step.bind_mounts(context_dir)
    context = next((_local(value, binds) for value in step.arguments.get("--context", [])), None)
    task_root = LAMBDA_BASE_IMAGE_ENV["LAMBDA_TASK_ROOT"]
    found: dict[str, Path] = {}
    for value in step.arguments.get("--copy", []):
        source, _, destination = value.partition("=")
        local = _local(source, binds) if source.startswith("/") else context / source if context else None
        if local is not None:
            found[f"{task_root}/{destination}"] = local
    return found


def _local(path: str, binds: Mapping[str, Path]) -> Path | None:
    """A path inside the build (under a bind mount's target) as the file here."""
    for target, local in binds.items():
        if path == target or path.startswith(target + "/"):
            return local / path.removeprefix(target).lstrip("/")
    return None

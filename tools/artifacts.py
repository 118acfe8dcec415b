"""What ships, laid out on this machine as Lambda lays it out: a function's task root and /opt.

Built from a synthesized cloud assembly (cdk.out), never from the source tree:

- ZIP function: the task root IS the staged code asset directory; Lambda extracts every layer
  into /opt, so /opt maps to a directory of symlinks merged from the staged layer assets (in
  order, a later layer's file over an earlier one's).
- Image function: the task root is built by the Dockerfile's own RUN command line, read from
  the staged Dockerfile in the image asset's build context and run with Lambda's Python (3.13)
  for the function's architecture: ${LAMBDA_TASK_ROOT} -> the target directory, /context -> the
  staged context, ARGs from the asset's build args or their defaults, and a bind mount from
  another stage (`from=model`) -> that stage materialised from its prebuilt option (the
  committed model; a stage exporting with torch cannot run here).
- The runtime-provided set (awslambdaric, boto3... as requirements/lambda-runtime-<arch>.txt
  locks them): what /var/runtime and the runtime's boto3 hold.

tools/artifact_process.py starts an artifact under the runtime interface client. Built
directories are cached under a caller's directory, keyed on the asset hash: a partial build is
never reused. Standard library only, apart from the repository's own tools.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.cdk_context import cdk_synth_context
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.dockerfile import LAMBDA_BASE_IMAGE_ENV, parse_dockerfile
from tools.local_serve.template_values import deploy_time_values, local_bucket_names
from tools.task_root import pip_install_command

IMAGE_TASK_ROOT = LAMBDA_BASE_IMAGE_ENV["LAMBDA_TASK_ROOT"]  # /var/task
LAYERS_MOUNT = "/opt"
# Lambda's quota for a ZIP function: its code and all its layers, unzipped.
ZIP_UNZIPPED_LIMIT_BYTES = 262_144_000
# Lambda's quota for a container image (uncompressed, all layers); the task root is part of it.
IMAGE_LIMIT_BYTES = 10_737_418_240
# Build arguments under which a stage another stage mounts can be built here: the prebuilt
# model (a COPY of committed files) instead of an export that needs torch.
STAGE_BUILD_ARGS = {"MODEL_SOURCE": "prebuilt"}
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_SHELL_OPERATORS = {";", "&&", "||", "|", "&"}


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One function as it would run in Lambda: its task root, its /opt, how to start it."""

    folder: str
    function: FunctionDefinition
    task_root: Path
    opt_dir: Path | None  # what /opt is (ZIP functions with layers), else None
    handler: str
    image_env: dict[str, str] = field(default_factory=dict)  # the Dockerfile's ENV, as written
    log_format: dict[str, str] = field(default_factory=dict)  # the template's LoggingConfig
    # Local values of the variables the template only knows at deploy time (bucket names...),
    # named as `make serve` and `make invoke` name them (tools/local_serve/template_values.py).
    deploy_time: dict[str, str] = field(default_factory=dict)
    size_bytes: int = 0  # ZIP: code + layers unzipped; image: the task root
    size_limit_bytes: int = 0

    def local_path(self, value: str) -> str:
        """`value` with Lambda's /var/task and /opt paths mapped to this artifact's directories."""
        for mount, local in ((IMAGE_TASK_ROOT, self.task_root), (LAYERS_MOUNT, self.opt_dir)):
            if local is not None and (value == mount or value.startswith(mount + "/")):
                return str(local) + value[len(mount) :]
        return value


def synthesize(outdir: Path, *, environment: str = "dev") -> CloudAssembly:
    """The app as `cdk synth -c env=<environment> -o <outdir>` builds it, ZIP assets bundled:
    app.py with the CLI's context (tools/cdk_context.py), in a process of its own."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}",
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(cdk_synth_context(environment)),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    completed = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"app.py (env={environment}) failed:\n{completed.stderr[-3000:]}")
    return CloudAssembly(outdir)


class _ArtifactCommon(TypedDict):
    """The `Artifact` fields a ZIP and an image function share."""

    folder: str
    function: FunctionDefinition
    handler: str
    log_format: dict[str, str]
    deploy_time: dict[str, str]


def build_artifact(assembly: CloudAssembly, fn: FunctionDefinition, *, interpreter: Path, cache_dir: Path) -> Artifact:
    """`fn`'s artifact; an image's task root is built once per asset under `cache_dir`."""
    resources = assembly.template(fn.stack_name)["Resources"]
    logging_config = resources[fn.logical_id]["Properties"].get("LoggingConfig", {})
    if fn.handler is None or fn.folder is None:
        raise LookupError(f"{fn.function_name} has no handler (template Handler or Dockerfile CMD)")
    common: _ArtifactCommon = {
        "folder": fn.folder,
        "function": fn,
        "handler": fn.handler,
        "log_format": dict(logging_config),
        "deploy_time": deploy_time_values(fn.environment, local_bucket_names(resources)),
    }
    if fn.image is not None:
        key = f"{fn.folder}-{fn.architecture}-{fn.image.context_dir.name.removeprefix('asset.')[:16]}"
        task_root = _cached(cache_dir / key, lambda target: build_image_task_root(fn, target, interpreter=interpreter))
        stage = parse_dockerfile(fn.image.context_dir / fn.image.dockerfile, fn.image.build_args).stages[-1]
        image_env = {k: v for k, v in stage.env.items() if k not in LAMBDA_BASE_IMAGE_ENV}
        return Artifact(
            **common,
            task_root=task_root,
            opt_dir=None,
            image_env=image_env,
            size_bytes=tree_bytes(task_root),
            size_limit_bytes=IMAGE_LIMIT_BYTES,
        )
    if fn.code_asset_dir is None:
        raise LookupError(f"{fn.function_name}: no staged code asset in {assembly.directory}")
    opt_dir = None
    if fn.layer_asset_dirs:
        key = "opt-" + hashlib.sha256("\0".join(str(d) for d in fn.layer_asset_dirs).encode()).hexdigest()[:16]
        opt_dir = _cached(cache_dir / key, lambda target: merge_layers(fn.layer_asset_dirs, target))
    size = tree_bytes(fn.code_asset_dir) + sum(tree_bytes(layer) for layer in fn.layer_asset_dirs)
    return Artifact(
        **common,
        task_root=fn.code_asset_dir,
        opt_dir=opt_dir,
        size_bytes=size,
        size_limit_bytes=ZIP_UNZIPPED_LIMIT_BYTES,
    )


def runtime_provided_set(cache_dir: Path, *, architecture: str) -> Path:
    """What the Lambda runtime itself provides (awslambdaric, boto3 and their dependencies),
    installed from requirements/lambda-runtime-<architecture>.txt for Lambda's platform."""
    lock = REPO_ROOT / "requirements" / f"lambda-runtime-{architecture}.txt"
    key = f"runtime-{architecture}-{hashlib.sha256(lock.read_bytes()).hexdigest()[:16]}"

    def install(target: Path) -> None:
        command = pip_install_command(
            requirements=lock, target=target, architecture=architecture, python_version=LAMBDA_PYTHON_VERSION
        )
        subprocess.run(command, check=True, stdout=sys.stderr, env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"})

    return _cached(cache_dir / key, install)


def image_task_root_command(fn: FunctionDefinition, *, target: Path, interpreter: Path, work_dir: Path) -> list[str]:
    """The staged Dockerfile's RUN command line (its runtime stage's only RUN), for this
    machine: paths mapped, ARGs substituted, run by `interpreter` for the function's
    architecture and Lambda's Python. Stage mounts are materialised under `work_dir`."""
    assert fn.image is not None
    context = fn.image.context_dir
    dockerfile = context / fn.image.dockerfile
    stage = parse_dockerfile(dockerfile, fn.image.build_args).stages[-1]
    runs = stage.all("RUN")
    if len(runs) != 1:
        raise ValueError(f"{dockerfile}: the runtime stage has {len(runs)} RUN steps, expected exactly one")
    values = {**stage.env, **{name: fn.image.build_args.get(name, default) for name, default in stage.args().items()}}
    values["LAMBDA_TASK_ROOT"] = str(target)
    tokens = shlex.split(runs[0].arguments)
    mounts: dict[str, Path] = {}  # target inside the build -> directory here
    while tokens and tokens[0].startswith("--mount="):
        options = dict(part.partition("=")[::2] for part in tokens.pop(0).removeprefix("--mount=").split(","))
        if options.get("type", "bind") != "bind":
            continue  # a cache mount: nothing to map
        if "from" in options:
            stage_dir = _materialise_stage(dockerfile, options["from"], fn.image.build_args, work_dir)
            mounts[options["target"]] = stage_dir / options.get("source", "/").lstrip("/")
        else:
            mounts[options["target"]] = context / options.get("source", "").lstrip("/")
    if _SHELL_OPERATORS & set(tokens) or not tokens or tokens[0] not in ("python3", "python"):
        raise ValueError(f"{dockerfile}: the RUN step must be one `python3 <script> ...` command, got {tokens}")
    command = [str(interpreter)]
    for token in tokens[1:]:
        token = _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), token)
        command.append(_map_mounts(token, mounts))
    return [*command, "--architecture", fn.architecture, "--python-version", LAMBDA_PYTHON_VERSION]


def build_image_task_root(fn: FunctionDefinition, target: Path, *, interpreter: Path) -> None:
    """Runs the Dockerfile's install step (tools/task_root.py, as staged) into `target`."""
    work_dir = target.parent / (target.name + ".stages")
    command = image_task_root_command(fn, target=target, interpreter=interpreter, work_dir=work_dir)
    try:
        subprocess.run(command, check=True, stdout=sys.stderr, env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"})
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def merge_layers(layer_dirs: tuple[Path, ...], opt_dir: Path) -> None:
    """/opt as Lambda extracts the layers into it, as symlinks to the staged layer files."""
    opt_dir.mkdir(parents=True)
    for layer in layer_dirs:
        for directory, _subdirectories, files in os.walk(layer):
            relative = Path(directory).relative_to(layer)
            (opt_dir / relative).mkdir(exist_ok=True)
            for name in files:
                link = opt_dir / relative / name
                if link.is_symlink():
                    link.unlink()
                link.symlink_to(Path(directory) / name)


def link_tree(source: Path, destination: Path) -> Path:
    """A cheap copy of a built tree (hard links): deleting or adding files in it leaves the
    original as it is. Symlinks are copied as symlinks."""
    shutil.copytree(source, destination, symlinks=True, copy_function=os.link)
    return destination


def tree_bytes(directory: Path) -> int:
    """Bytes of the regular files under `directory` (symlinked files counted at their target)."""
    total = 0
    for root, _subdirectories, files in os.walk(directory):
        for name in files:
            total += os.stat(os.path.join(root, name)).st_size
    return total


def _cached(directory: Path, build: Any) -> Path:
    """`directory`, built by `build(path)` into a temporary sibling first unless it exists."""
    if directory.is_dir():
        return directory
    partial = directory.with_name(directory.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        build(partial)
        partial.rename(directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return directory


def _map_mounts(token: str, mounts: Mapping[str, Path]) -> str:
    """A path under a mount target (alone, or before `=` as in --copy SOURCE=DEST) mapped."""
    for mount_target, local in sorted(mounts.items(), key=lambda item: -len(item[0])):
        if token == mount_target or token.startswith((mount_target + "/", mount_target + "=")):
            return str(local) + token[len(mount_target) :]
    return token


def _materialise_stage(dockerfile: Path, name: str, build_args: Mapping[str, str], work_dir: Path) -> Path:
    """The files of stage `name` (following `FROM <stage>` aliases) when it is a `FROM scratch`
    stage of COPYs from the context (with STAGE_BUILD_ARGS: the prebuilt model), copied from
    the repository (the staged context holds only what the default build reads)."""
    parsed = parse_dockerfile(dockerfile, {**build_args, **STAGE_BUILD_ARGS})
    stages = {stage.name: stage for stage in parsed.stages if stage.name}
    stage = stages.get(name)
    while stage is not None and stage.base_image in stages:
        stage = stages[stage.base_image]
    if stage is None or stage.base_image != "scratch" or {i.keyword for i in stage.instructions} - {"ARG", "COPY"}:
        raise ValueError(f"{dockerfile}: stage {name!r} is not a FROM scratch stage of COPYs; it cannot be built here")
    root = work_dir / name
    values = {arg: build_args.get(arg, default) for arg, default in stage.args().items()}
    for instruction in stage.all("COPY"):
        parts = [p for p in shlex.split(instruction.arguments) if not p.startswith("--")]
        parts = [_VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), p) for p in parts]
        *sources, destination = parts
        for source in sources:
            path = REPO_ROOT / source
            local = root / destination.lstrip("/")
            if destination.endswith("/") or len(sources) > 1:
                local = local / path.name
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(path, local) if path.is_dir() else shutil.copyfile(path, local)
    return root

"""Runs a synthesized function's handler in this process, configured as Lambda would be.

The environment comes from the template (plus overrides from the caller's environment for
values only known after deploy), layer paths under /opt map to the layers' staged assets,
and the context object carries the function's name, memory and timeout.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.common.paths import FUNCTIONS_DIR, REPO_ROOT
from stacks.workloads import WORKLOADS
from tools.cloud_assembly import FunctionDefinition
from tools.dockerfile import LAMBDA_BASE_IMAGE_ENV, baked_files, runtime_stage
from tools.local_serve.invoke_protocol import LATEST, function_arn

LOCAL_REGION = "us-east-1"
IMAGE_TASK_ROOT = LAMBDA_BASE_IMAGE_ENV["LAMBDA_TASK_ROOT"]
# A model an image builds at `docker build` (an export stage); here the committed fixture stands
# in. A model the install step only copies (`--copy SOURCE=DEST`) is used as it is.
LOCAL_MODEL_FIXTURES: dict[str, dict[str, Path]] = {
    workload.name: {name: REPO_ROOT / path for name, path in workload.local_model_fixtures.items()}
    for workload in WORKLOADS
    if workload.local_model_fixtures
}


@dataclass
class LocalLambdaContext:
    """The attributes and method of Lambda's Python context object that handlers (and
    Powertools) use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    function_version: str = LATEST
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""  # default: the function's unqualified ARN
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        if not self.invoked_function_arn:
            self.invoked_function_arn = function_arn(self.function_name, region_name=LOCAL_REGION)
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    @classmethod
    def create(
        cls,
        *,
        function_name: str,
        qualifier: str | None = None,
        region_name: str = LOCAL_REGION,
        memory_limit_in_mb: int = 512,
        timeout_seconds: float = 30.0,
    ) -> LocalLambdaContext:
        """A context for one invocation of `function_name[:qualifier]`, as Lambda builds it:
        a numeric qualifier is the version, an alias or none runs $LATEST."""
        return cls(
            function_name=function_name,
            memory_limit_in_mb=memory_limit_in_mb,
            timeout_seconds=timeout_seconds,
            function_version=qualifier if qualifier and qualifier[0].isdigit() else LATEST,
            invoked_function_arn=function_arn(function_name, qualifier, region_name=region_name),
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class UnresolvedEnvironmentError(RuntimeError):
    pass


def local_environment(fn: FunctionDefinition, overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The function's environment as Lambda would set it, runnable on this machine, and notes
    on what had to be substituted (say them to the user).

    Precedence: the caller's environment, then the template's variables, then (for an image)
    the Dockerfile's ENV. Paths inside a layer (/opt) or an image (/var/task) map to the same
    files here; a file the image's install step copies in (the checkbox model) maps to the file it
    copies, and a model built at `docker build` to the committed fixture model.
    """
    environment: dict[str, str] = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
        "AWS_REGION": overrides.get("AWS_REGION", LOCAL_REGION),
        "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
    }
    notes: list[str] = []
    declared: dict[str, Any] = {}
    if fn.image is not None:
        image_env = runtime_stage(fn.image.context_dir / fn.image.dockerfile).env
        declared.update({k: v for k, v in image_env.items() if k not in LAMBDA_BASE_IMAGE_ENV})
    declared.update(fn.environment)
    unresolved = []
    for name, value in declared.items():
        if name in overrides:
            environment[name] = overrides[name]
        elif isinstance(value, str):
            environment[name] = _local_path(name, value, fn, notes)
        else:
            unresolved.append(name)
    if unresolved:
        raise UnresolvedEnvironmentError(
            f"{fn.function_name} takes {', '.join(sorted(unresolved))} from resources created at"
            " deploy time; set them in your environment to run it locally"
        )
    return environment, notes


def _local_path(name: str, value: str, fn: FunctionDefinition, notes: list[str]) -> str:
    if value.startswith("/opt/"):
        # Lambda mounts layers at /opt; here the same files are in the staged layer assets.
        relative = value.removeprefix("/opt/")
        for layer_dir in fn.layer_asset_dirs:
            if (layer_dir / relative).exists():
                return str(layer_dir / relative)
    if value.startswith(IMAGE_TASK_ROOT + "/"):
        local = FUNCTIONS_DIR / value.removeprefix(IMAGE_TASK_ROOT + "/")
        if local.exists():
            return str(local)
        baked = (
            baked_files(fn.image.context_dir, fn.image.dockerfile, fn.image.build_args).get(value) if fn.image else None
        )
        if baked is not None and baked.exists():
            return str(baked)
        fixture = LOCAL_MODEL_FIXTURES.get(fn.folder or "", {}).get(name)
        if fixture is not None and fixture.exists():
            notes.append(
                f"{name}: the image's model ({value}) is built by `docker build`; using the committed"
                f" fixture model {fixture.relative_to(REPO_ROOT)} (set {name} to an exported model"
                " to use that instead)"
            )
            return str(fixture)
    return value


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import `package.module.function` the way Lambda's runtime does, from functions/."""
    module_name, _, function_name = handler.rpartition(".")
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def apply_environment(environment: Mapping[str, str]) -> None:
    os.environ.update(environment)

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from tools.cloud_assembly import FunctionDefinition

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
LOCAL_REGION = "us-east-1"


@dataclass
class LocalLambdaContext:
    """The attributes and method of Lambda's Python context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_REGION}:000000000000:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class UnresolvedEnvironmentError(RuntimeError):
    pass


def local_environment(fn: FunctionDefinition, overrides: Mapping[str, str]) -> dict[str, str]:
    """The function's environment as Lambda would set it, runnable on this machine."""
    environment: dict[str, str] = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
        "AWS_REGION": overrides.get("AWS_REGION", LOCAL_REGION),
        "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
    }
    unresolved = []
    for name, value in fn.environment.items():
        if name in overrides:
            environment[name] = overrides[name]
        elif isinstance(value, str):
            environment[name] = _map_layer_path(value, fn.layer_asset_dirs)
        else:
            unresolved.append(name)
    if unresolved:
        raise UnresolvedEnvironmentError(
            f"{fn.function_name} takes {', '.join(sorted(unresolved))} from resources created at"
            " deploy time; set them in your environment to run it locally"
        )
    return environment


def _map_layer_path(value: str, layer_dirs: tuple[Path, ...]) -> str:
    """Lambda mounts layers at /opt; locally the same files are in the staged layer assets."""
    if not value.startswith("/opt/"):
        return value
    relative = value.removeprefix("/opt/")
    for layer_dir in layer_dirs:
        if (layer_dir / relative).exists():
            return str(layer_dir / relative)
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

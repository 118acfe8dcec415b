"""What every image function ships, checked the same way for each (per-function specifics are
the data below; what only one image has stays in tests/functions/<name>/test_runtime_image.py):
the runtime stage is Lambda's Python base image without a platform, its CMD names the
handler the handler tests import, and it is one install step of the function's own lock."""

from __future__ import annotations

import importlib
import json
from importlib.metadata import version

import pytest

from stacks.common.paths import FUNCTIONS_DIR
from tests.support import checkbox, sentiment
from tests.support.handlers import import_handler
from tests.support.image_install import install_step
from tests.support.runtime_images import RUNTIME_BASE_IMAGE
from tools.dockerfile import runtime_stage
from tools.locks import pins

IMAGE_FUNCTIONS = ("sentiment", "checkbox", "batch_predict")
# How the handler tests import each handler (batch_predict's needs its S3 server: not here).
HANDLER_ENVIRONMENTS = {
    "sentiment": (sentiment.FUNCTION_ENVIRONMENT, sentiment.UNSET_VARIABLES),
    "checkbox": (checkbox.FUNCTION_ENVIRONMENT, checkbox.UNSET_VARIABLES),
}
# The image bakes a model in (install step --copy) or reads every model from S3.
BAKES_A_MODEL = {"sentiment": True, "checkbox": True, "batch_predict": False}
# Locks the handler tests run with exactly, the same for both architectures.
LOCKS_RUN_BY_THE_TESTS = ("checkbox", "batch_predict")


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_the_runtime_stage_is_the_lambda_python_base_image_without_a_platform(function: str) -> None:
    runtime = runtime_stage(FUNCTIONS_DIR / function / "Dockerfile")
    assert runtime.base_image == RUNTIME_BASE_IMAGE
    assert runtime.platform is None  # the platform comes from the build (CDK pins it to the function's)


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_cmd_names_the_handler(function: str) -> None:
    (cmd,) = runtime_stage(FUNCTIONS_DIR / function / "Dockerfile").all("CMD")
    assert json.loads(cmd.arguments) == [f"{function}.handler.lambda_handler"]


@pytest.mark.parametrize("function", sorted(HANDLER_ENVIRONMENTS))
def test_cmd_names_an_importable_callable_handler(function: str) -> None:
    (command,) = runtime_stage(FUNCTIONS_DIR / function / "Dockerfile").cmd
    handler = import_handler(f"{function}.handler", *HANDLER_ENVIRONMENTS[function])
    module_name, _, function_name = command.rpartition(".")
    module = importlib.import_module(module_name)
    assert module is handler and callable(getattr(module, function_name))


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_the_runtime_stage_is_one_install_step_of_the_functions_lock(function: str) -> None:
    step = install_step(function)
    assert step.one("--function") == function and step.one("--target") == "${LAMBDA_TASK_ROOT}"
    assert ("--copy" in step.arguments) is BAKES_A_MODEL[function]


@pytest.mark.parametrize("function", LOCKS_RUN_BY_THE_TESTS)
def test_the_locks_agree_and_are_what_the_handler_tests_run(function: str) -> None:
    x86_64, arm64 = (pins(FUNCTIONS_DIR / function / f"requirements-{arch}.txt") for arch in ("x86_64", "arm64"))
    assert x86_64 == arm64
    assert {name: version(name) for name in x86_64} == x86_64  # the handler tests run these versions

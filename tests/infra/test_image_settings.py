"""Every container-image function of the app, in every environment: the Dockerfile's base
image, CMD and platform agree with the stack's runtime and architecture settings.

The functions are discovered from the app as `cdk synth` builds it, so a new image function
is checked as soon as its stack is in app.py. No Docker here: the Dockerfiles are read.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stacks.common.packages import DOCKER_PLATFORM, PYTHON_RUNTIME, PYTHON_VERSION
from tests.support.image_install import install_step_of
from tests.support.synthesized_app import (
    KNOWN_IMAGE_FUNCTIONS,
    dockerfile_of,
    image_folder,
    image_functions,
    synthesized_app,
)
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.dockerfile import runtime_stage

ENVIRONMENTS = ("dev", "prod")
LAMBDA_PYTHON_BASE_IMAGE = "public.ecr.aws/lambda/python"
TASK_ROOT = "${LAMBDA_TASK_ROOT}"
_HANDLER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CloudAssembly]:
    return synthesized_app(ENVIRONMENTS, tmp_path_factory)


@pytest.fixture(scope="module")
def functions_by_environment(assemblies: dict[str, CloudAssembly]) -> dict[str, dict[str, FunctionDefinition]]:
    return {environment: image_functions(assembly) for environment, assembly in assemblies.items()}


def every_image_function(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> list[FunctionDefinition]:
    return [fn for functions in functions_by_environment.values() for fn in functions.values()]


def test_image_functions_are_discovered_in_every_environment(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    for environment, functions in functions_by_environment.items():
        assert set(functions) >= KNOWN_IMAGE_FUNCTIONS, f"{environment}: found {sorted(functions)}"


def test_the_zip_functions_run_the_python_the_images_are_checked_against(assemblies: dict[str, CloudAssembly]) -> None:
    zip_runtimes = {
        (environment, fn.function_name): fn.runtime
        for environment, assembly in assemblies.items()
        for fn in assembly.functions()
        if fn.package_type == "Zip" and fn.runtime and fn.runtime.startswith("python")
    }
    assert zip_runtimes, "no Python ZIP function to compare the images with"
    assert set(zip_runtimes.values()) == {PYTHON_RUNTIME.name}, zip_runtimes
    assert PYTHON_RUNTIME.name == f"python{PYTHON_VERSION}"


def test_each_runtime_stage_is_the_lambda_python_base_image_of_the_zip_runtime(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    for fn in every_image_function(functions_by_environment):
        assert fn.image is not None
        # As `docker build` resolves it with the asset's build arguments, and with the defaults
        # alone (a hand-run build gets the same Python).
        for build_args in (fn.image.build_args, {}):
            stage = runtime_stage(dockerfile_of(fn), build_args)
            image, _, _digest = stage.base_image.partition("@")  # a pinned digest may follow the tag
            assert image == f"{LAMBDA_PYTHON_BASE_IMAGE}:{PYTHON_VERSION}", (
                f"{fn.function_name}: runtime stage FROM {stage.base_image}; the ZIP functions run {PYTHON_RUNTIME.name}"
            )


def test_each_image_is_built_for_its_functions_architecture_and_nothing_contradicts_it(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    for fn in every_image_function(functions_by_environment):
        assert fn.image is not None
        assert fn.image.platform == DOCKER_PLATFORM[fn.architecture], (
            f"{fn.function_name}: {fn.architecture} function, image asset built for {fn.image.platform}"
        )
        # A --platform on the runtime stage would win over the build's platform.
        assert runtime_stage(dockerfile_of(fn)).platform is None, f"{fn.function_name}: runtime stage pins a platform"


def test_each_cmd_is_one_handler_string_naming_a_function_the_image_contains(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    for fn in every_image_function(functions_by_environment):
        stage = runtime_stage(dockerfile_of(fn))
        assert stage.cmd is not None and len(stage.cmd) == 1, f"{fn.function_name}: CMD {stage.cmd}, expected [handler]"
        (handler,) = stage.cmd
        assert _HANDLER.fullmatch(handler), f"{fn.function_name}: CMD {handler!r} is not module.function"
        module, _, function = handler.rpartition(".")
        package = module.split(".")[0]
        assert package == image_folder(fn), f"{fn.function_name}: CMD {handler!r} runs another folder's code"
        assert fn.image is not None
        # Resolved in the staged build context: what `docker build` copies into the image.
        module_path = "functions/" + module.replace(".", "/") + ".py"
        module_file = fn.image.context_dir / module_path
        assert module_file.is_file(), f"{fn.function_name}: CMD {handler!r}, no {module_path} in the build context"
        assert function in _top_level_names(module_file), f"{fn.function_name}: {module_path} defines no {function}"
        step = install_step_of(dockerfile_of(fn))
        assert step.one("--function") == package, (
            f"{fn.function_name}: functions/{package} is not installed into the image"
        )


def test_the_template_leaves_handler_and_runtime_to_the_image(assemblies: dict[str, CloudAssembly]) -> None:
    checked = 0
    for assembly in assemblies.values():
        for fn in assembly.functions():
            if fn.package_type != "Image":
                continue
            properties = assembly.template(fn.stack_name)["Resources"][fn.logical_id]["Properties"]
            # Lambda refuses a handler or runtime on an Image function: both come from the image.
            assert "Handler" not in properties and "Runtime" not in properties, fn.function_name
            image_config = properties.get("ImageConfig", {})
            # Lambda would run these instead of the Dockerfile's CMD and the base image's entrypoint.
            assert "Command" not in image_config and "EntryPoint" not in image_config, (fn.function_name, image_config)
            checked += 1
    assert checked >= len(KNOWN_IMAGE_FUNCTIONS) * len(assemblies)


def test_each_image_is_built_by_the_install_step_from_its_staged_context(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    # tools/task_root.py lays /var/task/<package> out from functions/<package> (and
    # lambda_common beside it); the artifact tests run this very command line.
    for fn in every_image_function(functions_by_environment):
        assert fn.image is not None
        step = install_step_of(dockerfile_of(fn))
        assert step.one("--function") == image_folder(fn) and step.one("--target") == TASK_ROOT, (
            fn.function_name,
            step,
        )
        assert step.one("--context") == "/context"
        staged = fn.image.context_dir
        assert (staged / "tools" / "task_root.py").is_file(), f"{fn.function_name}: no install script in the context"
        lock = staged / "functions" / image_folder(fn) / f"requirements-{fn.architecture}.txt"
        assert lock.is_file(), f"{fn.function_name}: no {lock.name} in the build context"
        assert (staged / "functions" / "lambda_common" / "__init__.py").is_file()


def _top_level_names(module_file: Path) -> set[str]:
    names = set()
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names

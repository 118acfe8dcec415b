"""Every container-image function of the app, in every environment: the Dockerfile's base
image, CMD and platform agree with the stack's runtime and architecture settings.

The functions are discovered from the app as `cdk synth` builds it, so a new image function
is checked as soon as its stack is in app.py. No Docker here: the Dockerfiles are read.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.common.packages import DOCKER_PLATFORM, PYTHON_RUNTIME, PYTHON_VERSION
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.dockerfile import Stage, runtime_stage

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "prod")
LAMBDA_PYTHON_BASE_IMAGE = "public.ecr.aws/lambda/python"
TASK_ROOT = "${LAMBDA_TASK_ROOT}"
# At least these: discovery that finds nothing must not pass.
KNOWN_IMAGE_FUNCTIONS = {"sentiment", "checkbox"}
_HANDLER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
# What a shell passes on to `cdk synth`'s app (as tests/integration/test_cdk_cli.py does).
_SHELL_VARIABLE_PREFIXES = ("PATH", "HOME", "LANG", "LC_", "TMP", "TEMP", "USER", "NODE_", "NPM_")

_assemblies: dict[str, CloudAssembly] = {}  # per environment, once per test session


def synthesized_app(environments: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> dict[str, CloudAssembly]:
    """The whole app synthesized per environment the way `cdk synth -c env=<name>` runs it:
    app.py with cdk.json's context, in a process of its own (in parallel, once per session).

    Bundling is skipped (`aws:cdk:bundling-stacks`: none): it only builds ZIP assets, while an
    image asset is its staged build context either way.
    """
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    started = {}
    for environment in environments:
        if environment in _assemblies:
            continue
        outdir = tmp_path_factory.mktemp(f"app-{environment}")
        env = {
            **{k: v for k, v in os.environ.items() if k.startswith(_SHELL_VARIABLE_PREFIXES)},
            "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}",
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps({**context, "env": environment, "aws:cdk:bundling-stacks": []}),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started[environment] = (process, outdir)
    for environment, (process, outdir) in started.items():
        _, stderr = process.communicate()
        assert process.returncode == 0, f"app.py (env={environment}) failed:\n{stderr[-3000:]}"
        _assemblies[environment] = CloudAssembly(outdir)
    return {environment: _assemblies[environment] for environment in environments}


def image_functions(assembly: CloudAssembly) -> dict[str, FunctionDefinition]:
    """functions/ folder -> the container-image function built from it."""
    found = {}
    for fn in assembly.functions():
        if fn.package_type == "Image":
            assert fn.image is not None, f"{fn.function_name}: no image asset for its ImageUri"
            found[image_folder(fn)] = fn
    return found


def image_folder(fn: FunctionDefinition) -> str:
    """The function's folder under functions/, from where its Dockerfile is."""
    assert fn.image is not None
    parts = Path(fn.image.dockerfile).parts
    assert len(parts) == 3 and parts[0] == "functions" and parts[2] == "Dockerfile", (
        f"{fn.function_name}: Dockerfile at {fn.image.dockerfile}, expected functions/<folder>/Dockerfile"
    )
    return parts[1]


def dockerfile_of(fn: FunctionDefinition) -> Path:
    """The Dockerfile as staged in the build context CDK hands to `docker build`."""
    assert fn.image is not None
    return fn.image.context_dir / fn.image.dockerfile


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CloudAssembly]:
    return synthesized_app(ENVIRONMENTS, tmp_path_factory)


@pytest.fixture(scope="module")
def functions_by_environment(assemblies: dict[str, CloudAssembly]) -> dict[str, dict[str, FunctionDefinition]]:
    return {environment: image_functions(assembly) for environment, assembly in assemblies.items()}


def every_image_function(functions_by_environment: dict[str, dict[str, FunctionDefinition]]) -> list[FunctionDefinition]:
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
        stage = runtime_stage(dockerfile_of(fn))
        image, _, _digest = stage.base_image.partition("@")  # a pinned digest may follow the tag
        assert image == f"{LAMBDA_PYTHON_BASE_IMAGE}:{PYTHON_VERSION}", (
            f"{fn.function_name}: runtime stage FROM {stage.base_image}; the ZIP functions run {PYTHON_RUNTIME.name}"
        )


def test_each_image_is_built_for_its_functions_architecture_and_nothing_contradicts_it(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    for fn in every_image_function(functions_by_environment):
        assert fn.image is not None
        assert fn.image.platform == DOCKER_PLATFORM[fn.architecture], (  # type: ignore[index]
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
        copied = {copied for copied, _ in _copies_from_functions(stage)}
        assert package in copied, f"{fn.function_name}: functions/{package} is not copied into the image"


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


def test_each_image_lays_out_functions_as_the_repository_does(
    functions_by_environment: dict[str, dict[str, FunctionDefinition]],
) -> None:
    # /var/task/<package> holds functions/<package>: the entrypoint test (tests/integration/
    # test_container_entrypoints.py) runs the CMD with functions/ standing in for /var/task.
    for fn in every_image_function(functions_by_environment):
        copies = _copies_from_functions(runtime_stage(dockerfile_of(fn)))
        assert copies, f"{fn.function_name}: nothing copied from functions/"
        for package, destination in copies:
            assert destination.rstrip("/") == f"{TASK_ROOT}/{package}", (
                f"{fn.function_name}: functions/{package} copied to {destination}"
            )
        assert {package for package, _ in copies} >= {image_folder(fn), "lambda_common"}


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


def _copies_from_functions(stage: Stage) -> list[tuple[str, str]]:
    """(package, destination) of each COPY of functions/<package>/... from the build context."""
    copies = []
    for instruction in stage.all("COPY"):
        words = shlex.split(instruction.arguments)
        if any(word.startswith("--from=") for word in words):
            continue  # from another stage, not from the build context
        *sources, destination = [word for word in words if not word.startswith("--")]
        for source in sources:
            parts = Path(source).parts
            if len(parts) >= 2 and parts[0] == "functions":
                copies.append((parts[1], destination))
    return copies

"""What ships: the Dockerfile (read statically: no Docker engine here) and the function's import
closure, measured in a fresh interpreter after real requests: no torch, no ultralytics, no
onnx package, no pydantic, only distributions listed in functions/checkbox/requirements.txt."""

from __future__ import annotations

import base64
import importlib
import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tests.functions.checkbox.conftest import FUNCTION_DIR, FUNCTION_ENVIRONMENT, REPO_ROOT, TINY_MODEL, encoded, page_image
from tools.pinned_requirements import distribution_name, pinned_requirements
from tools.dockerfile import Instruction, runtime_stage
from tools.dockerfile import instructions as read_instructions

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements.txt"
RUNTIME_BASE_IMAGE = "public.ecr.aws/lambda/python:3.14"
# What the stack sends as build context: the function folder and the model file.
CONTEXT_PATHS = ("functions/checkbox/", "functions/lambda_common/", "fixtures/checkbox/")
FORBIDDEN_AT_RUN_TIME = ("torch", "ultralytics", "cv2", "onnx", "pydantic", "boto3", "google", "flatbuffers", "sympy")


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return read_instructions(DOCKERFILE.read_text())


def _all(instructions: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


# --- the Dockerfile -------------------------------------------------------------------------


def test_one_stage_the_lambda_python_base_image_without_a_platform(instructions: list[Instruction]) -> None:
    (base,) = _all(instructions, "FROM")
    assert base.split()[0] == RUNTIME_BASE_IMAGE  # no --platform: the stack pins the function's architecture
    stage = runtime_stage(DOCKERFILE)
    assert (stage.base_image, stage.platform) == (RUNTIME_BASE_IMAGE, None)


def test_cmd_names_an_importable_callable_handler(instructions: list[Instruction], handler: ModuleType) -> None:
    (cmd,) = _all(instructions, "CMD")
    command = json.loads(cmd)
    assert command == ["checkbox.handler.lambda_handler"] == runtime_stage(DOCKERFILE).cmd
    module_name, _, function_name = command[0].rpartition(".")
    module = importlib.import_module(module_name)
    assert module is handler and callable(getattr(module, function_name))
    # ...and the package lands where that handler string looks for it.
    copies = [c for c in _all(instructions, "COPY") if "functions/checkbox/" in c]
    assert [c.split()[-1] for c in copies] == ["${LAMBDA_TASK_ROOT}/checkbox/"]
    assert "functions/checkbox/*.py" in copies[0]
    # ...with the shared package beside it, where `import lambda_common` finds it.
    (shared,) = [c for c in _all(instructions, "COPY") if "functions/lambda_common/" in c]
    assert shared.split()[-2:] == ["functions/lambda_common/*.py", "${LAMBDA_TASK_ROOT}/lambda_common/"]


def test_only_the_functions_pinned_requirements_are_installed_without_resolving(instructions: list[Instruction]) -> None:
    (install,) = [run for run in _all(instructions, "RUN") if "pip install" in run]
    mount = re.search(r"--mount=type=bind,source=(\S+?),target=(\S+)", install)
    assert mount and mount.group(1) == "functions/checkbox/requirements.txt"
    tokens = shlex.split(install.split("pip install", 1)[1].split("&&", 1)[0])
    assert "--no-deps" in tokens and "--only-binary=:all:" in tokens
    assert tokens[tokens.index("-r") + 1] == mount.group(2)
    assert tokens[tokens.index("--target") + 1] == "${LAMBDA_TASK_ROOT}"
    assert [t for t in tokens if not t.startswith("-") and t not in (mount.group(2), "${LAMBDA_TASK_ROOT}")] == []
    assert any("compileall" in run and "${LAMBDA_TASK_ROOT}/checkbox" in run for run in _all(instructions, "RUN"))
    assert any("compileall" in run and "${LAMBDA_TASK_ROOT}/lambda_common" in run for run in _all(instructions, "RUN"))


def test_the_requirements_hold_the_runtime_and_no_training_stack() -> None:
    pins = pinned_requirements(REQUIREMENTS)
    assert set(pins) == {"numpy", "onnxruntime", "pillow", "aws-lambda-powertools", "jmespath", "typing-extensions"}
    assert not [name for name in pins if name in ("torch", "torchvision", "ultralytics", "opencv-python", "onnx")]
    dev_pins = pinned_requirements(REPO_ROOT / "requirements-dev.txt")
    for shared in set(pins) & set(dev_pins):  # tests run with the versions that ship
        assert pins[shared] == dev_pins[shared], shared


def test_the_model_is_baked_in_where_model_path_points(instructions: list[Instruction]) -> None:
    (model_arg,) = [a for a in _all(instructions, "ARG") if a.startswith("MODEL_FILE")]
    default = model_arg.split("=", 1)[1]
    assert REPO_ROOT / default == TINY_MODEL  # builds on a fresh clone
    (model_copy,) = [c for c in _all(instructions, "COPY") if "${MODEL_FILE}" in c]
    assert model_copy.split()[-2:] == ["${MODEL_FILE}", "${LAMBDA_TASK_ROOT}/checkbox_model/model.onnx"]
    env = runtime_stage(DOCKERFILE).env
    assert env["MODEL_PATH"] == "/var/task/checkbox_model/model.onnx"
    assert env["XDG_CACHE_HOME"].startswith("/tmp/")


def test_only_paths_in_the_build_context_are_read(instructions: list[Instruction]) -> None:
    for arguments in _all(instructions, "COPY"):
        sources = [t for t in arguments.split()[:-1] if not t.startswith("--")]
        for source in sources:
            source = source.replace("${MODEL_FILE}", str(TINY_MODEL.relative_to(REPO_ROOT)))
            assert source.startswith(CONTEXT_PATHS), f"COPY {source} is outside the build context"
            assert list(REPO_ROOT.glob(source)), f"COPY {source}: no such path"
    for run in _all(instructions, "RUN"):
        for mount in re.findall(r"--mount=(\S+)", run):
            options = dict(option.partition("=")[::2] for option in mount.split(","))
            assert options["source"].startswith(CONTEXT_PATHS)


# --- the import closure, in a fresh interpreter ---------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from checkbox.handler import lambda_handler

    class Context:
        function_name, function_version, memory_limit_in_mb = "checkbox-test", "1", 3008
        aws_request_id = "req-1"
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:checkbox-test"

    image = sys.stdin.read().strip()
    answers = [
        lambda_handler({"httpMethod": "GET", "path": "/health"}, Context()),
        lambda_handler({"action": "keep_warm"}, Context()),
        lambda_handler({"httpMethod": "POST", "path": "/predict", "headers": {"Content-Type": "image/png"},
                        "body": image, "isBase64Encoded": True}, Context()),
        lambda_handler({"httpMethod": "POST", "path": "/predict", "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"image": image, "conf": 5})}, Context()),
    ]
    modules = sorted(sys.modules)
    from importlib.metadata import packages_distributions
    owners = {name: sorted(set(dists)) for name, dists in packages_distributions().items()}
    print(json.dumps({"modules": modules, "owners": owners, "answers": answers,
                      "stdlib": sorted(sys.stdlib_module_names)}, default=str))
    """
)


def run_fresh(environment: dict[str, str]) -> dict:
    """Run SCRIPT in a new interpreter with only `environment` (plus PATH and PYTHONPATH)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{REPO_ROOT / 'functions'}",
        "HOME": "/nonexistent",  # nothing may need a home directory
        **environment,
    }
    image = base64.b64encode(encoded(page_image(500, 700), "PNG")).decode()
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, input=image, capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fresh_run() -> dict:
    return run_fresh(FUNCTION_ENVIRONMENT)


def test_a_fresh_cold_start_serves_every_kind_of_request(fresh_run: dict) -> None:
    health, warm, predict, bad = fresh_run["answers"]
    assert health["statusCode"] == 200 and json.loads(health["body"])["model"]["class_names"] == ["checked", "unchecked"]
    assert warm == {"status": "warm"}
    assert predict["statusCode"] == 200 and json.loads(predict["body"])["pages"][0]["width"] == 500
    assert bad["statusCode"] == 400 and "'conf' must be strictly between 0 and 1" in json.loads(bad["body"])["error"]


def test_nothing_outside_the_requirements_is_imported(fresh_run: dict) -> None:
    modules = fresh_run["modules"]
    tops = {name.split(".")[0] for name in modules}
    assert not tops & set(FORBIDDEN_AT_RUN_TIME), sorted(tops & set(FORBIDDEN_AT_RUN_TIME))
    allowed = set(pinned_requirements(REQUIREMENTS)) | {"botocore"}  # botocore: the base image's, used by Powertools if present
    stdlib = set(fresh_run["stdlib"])
    undeclared = {}
    for top in tops - stdlib - {"checkbox", "lambda_common", "__main__", "_distutils_hack"}:
        owners = {distribution_name(owner) for owner in fresh_run["owners"].get(top, [])}
        if top.startswith("_") and not owners:
            continue  # interpreter-internal modules (_io, _abc, ...)
        if not owners & allowed:
            undeclared[top] = sorted(owners)
    assert not undeclared, f"imported from distributions not in requirements.txt: {undeclared}"
    # Nothing the Dockerfile prunes from the image is ever imported.
    pruned = ("onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools")
    assert not [m for m in modules if m.startswith(pruned) or (m.startswith("numpy.") and ".tests" in m)]
    # Only the allowed Pillow decoders are loaded: no other plugin parses a request.
    plugins = {m.split(".")[1] for m in modules if m.startswith("PIL.") and m.endswith("ImagePlugin")}
    assert plugins <= {"PngImagePlugin", "JpegImagePlugin", "TiffImagePlugin", "WebPImagePlugin",
                       "BmpImagePlugin", "GifImagePlugin", "PpmImagePlugin"}, plugins  # fmt: skip

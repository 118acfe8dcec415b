"""What ships: the Dockerfile (read statically: no Docker engine here) and the function's import
closure, measured in the real task root (built by the Dockerfile's install step, run under
Lambda's CPython with nothing else importable) after real requests: no torch, no ultralytics,
no onnx package, no pydantic, only distributions in the function's lock."""

from __future__ import annotations

import base64
import importlib
import json
import re
import textwrap
from importlib.metadata import version
from types import ModuleType

import pytest

from tests.functions.checkbox.conftest import FUNCTION_DIR, FUNCTION_ENVIRONMENT, REPO_ROOT, TINY_MODEL, encoded, page_image
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tests.support.artifacts import Artifacts
from tests.support.image_install import image_task_root, install_step, run_isolated, runtime_dir
from tools.dockerfile import Instruction, runtime_stage
from tools.dockerfile import instructions as read_instructions
from tools.locks import distribution_name, pins

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements-x86_64.txt"
RUNTIME_BASE_IMAGE = f"public.ecr.aws/lambda/python:{LAMBDA_PYTHON_VERSION}"
FORBIDDEN_AT_RUN_TIME = ("torch", "ultralytics", "cv2", "onnx", "pydantic", "boto3", "google", "flatbuffers", "sympy")


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return read_instructions(DOCKERFILE.read_text())


def _all(instructions: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


# --- the Dockerfile -------------------------------------------------------------------------


def test_one_stage_the_lambda_python_base_image_without_a_platform(instructions: list[Instruction]) -> None:
    (base,) = _all(instructions, "FROM")
    assert base.split()[0] == "public.ecr.aws/lambda/python:${PYTHON_VERSION}"  # no --platform: the stack pins it
    stage = runtime_stage(DOCKERFILE)
    assert (stage.base_image, stage.platform) == (RUNTIME_BASE_IMAGE, None)


def test_cmd_names_an_importable_callable_handler(instructions: list[Instruction], handler: ModuleType) -> None:
    (cmd,) = _all(instructions, "CMD")
    command = json.loads(cmd)
    assert command == ["checkbox.handler.lambda_handler"] == runtime_stage(DOCKERFILE).cmd
    module_name, _, function_name = command[0].rpartition(".")
    module = importlib.import_module(module_name)
    assert module is handler and callable(getattr(module, function_name))


def test_the_runtime_stage_is_one_install_step_of_the_functions_lock() -> None:
    step = install_step("checkbox")
    assert step.one("--function") == "checkbox" and step.one("--target") == "${LAMBDA_TASK_ROOT}"
    assert step.one("--context") == "/context" and step.mounts[0] == {"type": "bind", "target": "/context"}


def test_the_requirements_hold_the_runtime_and_no_training_stack() -> None:
    locked = pins(REQUIREMENTS)
    assert set(locked) == {"numpy", "onnxruntime", "pillow", "aws-lambda-powertools", "jmespath", "typing-extensions"}
    assert locked == pins(FUNCTION_DIR / "requirements-arm64.txt")
    assert {name: version(name) for name in locked} == locked  # the handler tests run these versions


def test_the_model_is_baked_in_where_model_path_points(instructions: list[Instruction]) -> None:
    (model_arg,) = [a for a in _all(instructions, "ARG") if a.startswith("MODEL_FILE")]
    default = model_arg.split("=", 1)[1]
    assert REPO_ROOT / default == TINY_MODEL  # builds on a fresh clone
    assert install_step("checkbox").one("--copy") == f"{default}=checkbox_model/model.onnx"
    env = runtime_stage(DOCKERFILE).env
    assert env["MODEL_PATH"] == "/var/task/checkbox_model/model.onnx"
    assert env["XDG_CACHE_HOME"].startswith("/tmp/")


# --- the import closure, in a fresh interpreter ---------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    assert sys.version_info[:2] == tuple(map(int, os.environ["EXPECTED_PYTHON"].split(".")))
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


def run_fresh(environment: dict[str, str], artifacts: Artifacts) -> dict:
    """SCRIPT in the real task root under Lambda's Python, with the Lambda runtime's boto3."""
    paths = [image_task_root(artifacts, "checkbox"), runtime_dir(artifacts)]
    image = base64.b64encode(encoded(page_image(500, 700), "PNG")).decode()
    environment = {**environment, "EXPECTED_PYTHON": LAMBDA_PYTHON_VERSION}
    return run_isolated(SCRIPT, paths=paths, environment=environment, stdin=image)


@pytest.fixture(scope="module")
def fresh_run(artifacts: Artifacts) -> dict:
    """The model where the image puts it."""
    root = image_task_root(artifacts, "checkbox")
    return run_fresh({**FUNCTION_ENVIRONMENT, "MODEL_PATH": str(root / "checkbox_model" / "model.onnx")}, artifacts)


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
    allowed = set(pins(REQUIREMENTS)) | {"botocore"}  # the Lambda runtime's, used by Powertools if present
    stdlib = set(fresh_run["stdlib"])
    undeclared = {}
    for top in tops - stdlib - {"checkbox", "lambda_common", "__main__", "_distutils_hack"}:
        owners = {distribution_name(owner) for owner in fresh_run["owners"].get(top, [])}
        if top.startswith("_") and not owners:
            continue  # interpreter-internal modules (_io, _abc, ...)
        if not owners & allowed:
            undeclared[top] = sorted(owners)
    assert not undeclared, f"imported from distributions not in the lock: {undeclared}"
    # Nothing the Dockerfile prunes from the image is ever imported.
    pruned = ("onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools")
    assert not [m for m in modules if m.startswith(pruned) or (m.startswith("numpy.") and ".tests" in m)]
    # Only the allowed Pillow decoders are loaded: no other plugin parses a request.
    plugins = {m.split(".")[1] for m in modules if m.startswith("PIL.") and m.endswith("ImagePlugin")}
    assert plugins <= {"PngImagePlugin", "JpegImagePlugin", "TiffImagePlugin", "WebPImagePlugin",
                       "BmpImagePlugin", "GifImagePlugin", "PpmImagePlugin"}, plugins  # fmt: skip

"""What ships: the Dockerfile (read statically: no Docker engine here) and the function's import
closure, measured in the real task root (built by the Dockerfile's install step, run under
Lambda's CPython with nothing else importable) after real requests: no torch, no ultralytics,
no onnx package, no pydantic, only distributions in the function's lock."""

from __future__ import annotations

import json

import pytest

from stacks.common.paths import REPO_ROOT
from tests.support.artifacts import Artifacts
from tests.support.checkbox import FUNCTION_DIR, FUNCTION_ENVIRONMENT
from tests.support.image_install import image_task_root, install_step
from tests.support.runtime_images import run_checkbox, undeclared_imports
from tools.dockerfile import Instruction, runtime_stage
from tools.dockerfile import instructions as read_instructions
from tools.locks import pins

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements-x86_64.txt"
FORBIDDEN_AT_RUN_TIME = ("torch", "ultralytics", "onnx", "pydantic", "boto3", "google", "flatbuffers", "sympy")


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return read_instructions(DOCKERFILE.read_text())


def _all(instructions: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


# --- the Dockerfile -------------------------------------------------------------------------


def test_one_stage_from_the_python_version_argument(instructions: list[Instruction]) -> None:
    (base,) = _all(instructions, "FROM")
    assert base.split()[0] == "public.ecr.aws/lambda/python:${PYTHON_VERSION}"  # no --platform: the stack pins it


def test_the_install_step_reads_the_context_mount() -> None:
    step = install_step("checkbox")  # its --function and --target: tests/functions/test_runtime_images.py
    assert step.one("--context") == "/context" and step.mounts[0] == {"type": "bind", "target": "/context"}


def test_the_requirements_hold_the_runtime_and_no_training_stack() -> None:
    locked = pins(REQUIREMENTS)
    assert set(locked) == {
        "numpy",
        "onnxruntime",
        "opencv-python-headless",
        "pillow",
        "pybase64",
        "pyspng",
        "simplejpeg",
        "aws-lambda-powertools",
        "jmespath",
        "typing-extensions",
    }
    # Both architectures' locks, and the versions the tests run: tests/functions/test_runtime_images.py


def test_the_model_is_baked_in_where_model_path_points(instructions: list[Instruction]) -> None:
    (model_arg,) = [a for a in _all(instructions, "ARG") if a.startswith("MODEL_FILE")]
    default = model_arg.split("=", 1)[1]
    assert (
        default == "models/checkbox/model.onnx" and (REPO_ROOT / default).is_file()
    )  # committed: builds on a fresh clone
    assert (REPO_ROOT / default).stat().st_size <= 15 * 1024 * 1024
    assert install_step("checkbox").one("--copy") == f"{default}=checkbox_model/model.onnx"
    env = runtime_stage(DOCKERFILE).env
    assert env["MODEL_PATH"] == "/var/task/checkbox_model/model.onnx"
    assert env["XDG_CACHE_HOME"].startswith("/tmp/")


# --- the import closure, in a fresh interpreter ---------------------------------------------


@pytest.fixture(scope="module")
def fresh_run(artifacts: Artifacts) -> dict:
    """The model where the image puts it."""
    root = image_task_root(artifacts, "checkbox")
    return run_checkbox({**FUNCTION_ENVIRONMENT, "MODEL_PATH": str(root / "checkbox_model" / "model.onnx")}, artifacts)


def test_a_fresh_cold_start_serves_every_kind_of_request(fresh_run: dict) -> None:
    health, warm, predict, bad = fresh_run["answers"]
    assert health["statusCode"] == 200 and json.loads(health["body"])["model"]["class_names"] == [
        "checked",
        "unchecked",
    ]
    assert warm == {"status": "warm"}
    assert predict["statusCode"] == 200 and json.loads(predict["body"])["pages"][0]["width"] == 500
    assert bad["statusCode"] == 400 and "'conf' must be strictly between 0 and 1" in json.loads(bad["body"])["error"]


def test_nothing_outside_the_requirements_is_imported(fresh_run: dict) -> None:
    modules = fresh_run["modules"]
    tops = {name.split(".")[0] for name in modules}
    assert not tops & set(FORBIDDEN_AT_RUN_TIME), sorted(tops & set(FORBIDDEN_AT_RUN_TIME))
    allowed = set(pins(REQUIREMENTS)) | {"botocore"}  # the Lambda runtime's, used by Powertools if present
    undeclared = undeclared_imports(fresh_run, allowed=allowed, own={"checkbox"})
    assert not undeclared, f"imported from distributions not in the lock: {undeclared}"
    # Nothing the Dockerfile prunes from the image is ever imported.
    pruned = ("onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools")
    assert not [m for m in modules if m.startswith(pruned) or (m.startswith("numpy.") and ".tests" in m)]
    # Only the allowed Pillow decoders are loaded: no other plugin parses a request.
    plugins = {m.split(".")[1] for m in modules if m.startswith("PIL.") and m.endswith("ImagePlugin")}
    assert plugins <= {
        "PngImagePlugin",
        "JpegImagePlugin",
        "TiffImagePlugin",
        "WebPImagePlugin",
        "BmpImagePlugin",
        "GifImagePlugin",
        "PpmImagePlugin",
    }, plugins

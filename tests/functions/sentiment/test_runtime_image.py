"""What ships: the Dockerfile (read statically: no Docker engine here) and the function's import
closure, measured in the real task root (built by the Dockerfile's install step, run under
Lambda's CPython with nothing else importable) after real requests: no torch, no
transformers, only distributions in the function's lock."""

from __future__ import annotations

import importlib
import json
import re
import textwrap
import tomllib
from types import ModuleType

import pytest

from sentiment.inference import ARTIFACT_FILES
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tests.functions.sentiment.conftest import FIXTURE_MODEL_DIR, FUNCTION_DIR, FUNCTION_ENVIRONMENT, REPO_ROOT
from tests.support.artifacts import Artifacts
from tests.support.image_install import image_task_root, install_step, run_isolated, runtime_dir
from tools.dockerfile import Dockerfile, Stage, parse_dockerfile
from tools.locks import distribution_name, pins

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements-x86_64.txt"
EXPORT_REQUIREMENTS = REPO_ROOT / "requirements" / "export.txt"
RUNTIME_BASE_IMAGE = f"public.ecr.aws/lambda/python:{LAMBDA_PYTHON_VERSION}"
# What the CDK asset sends as build context (everything else is excluded).
CONTEXT_PATHS = (
    "functions/sentiment/", "functions/lambda_common/", "training/sentiment/", "fixtures/sentiment/",
    "requirements/export.txt", "tools/task_root.py",
)
FORBIDDEN_AT_RUN_TIME = ("torch", "transformers", "huggingface_hub", "pydantic", "google", "flatbuffers")


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture(scope="module")
def stages(dockerfile: Dockerfile) -> dict[str, Stage]:
    return {stage.name: stage for stage in dockerfile.stages}


@pytest.fixture(scope="module")
def runtime(dockerfile: Dockerfile) -> Stage:
    return dockerfile.stages[-1]


# --- the Dockerfile -----------------------------------------------------------------------------


def test_the_runtime_stage_is_the_lambda_python_base_image(runtime: Stage) -> None:
    assert runtime.base_image == RUNTIME_BASE_IMAGE
    assert runtime.platform is None  # the platform comes from the build (CDK pins it to the function's)


def test_cmd_names_an_importable_callable_handler(runtime: Stage, handler: ModuleType) -> None:
    (cmd,) = runtime.all("CMD")
    command = json.loads(cmd.arguments)
    assert command == ["sentiment.handler.lambda_handler"]
    module_name, _, function_name = command[0].rpartition(".")
    module = importlib.import_module(module_name)
    assert module is handler and callable(getattr(module, function_name))


def test_the_runtime_stage_is_one_install_step_of_the_functions_lock() -> None:
    step = install_step("sentiment")
    assert step.one("--function") == "sentiment" and step.one("--target") == "${LAMBDA_TASK_ROOT}"
    assert step.one("--copy") == "/model=sentiment_model"
    (model_mount,) = [mount for mount in step.mounts if mount.get("from")]
    assert model_mount == {"type": "bind", "from": "model", "source": "/model", "target": "/model"}
    # (onnxruntime/transformers, a folder it prunes, is not the transformers package)
    assert not re.search(r"(?<![\w/])(torch|transformers)\b", DOCKERFILE.read_text().split("AS runtime", 1)[1])


def test_the_runtime_requirements_hold_no_torch_or_transformers() -> None:
    locked = pins(REQUIREMENTS)
    assert {"numpy", "onnxruntime", "tokenizers", "aws-lambda-powertools"} <= set(locked)
    assert not [name for name in locked if "torch" in name or "transformers" in name or name == "huggingface-hub"]


def test_the_model_is_baked_in_where_model_dir_points(runtime: Stage) -> None:
    env = " ".join(e.arguments for e in runtime.all("ENV"))
    assert "MODEL_DIR=${LAMBDA_TASK_ROOT}/sentiment_model" in env
    # Caches, should any library try one, go to /tmp (the only writable path in Lambda).
    assert "XDG_CACHE_HOME=/tmp/" in env and "HF_HOME=/tmp/" in env


def test_the_export_stage_takes_the_documented_build_arguments(
    dockerfile: Dockerfile, stages: dict[str, Stage]
) -> None:
    global_args = dockerfile.global_args
    export = stages["model-export"]
    assert export.base_image == "python:3.11-slim" and export.platform == "$BUILDPLATFORM"
    assert export.args() == {
        "MODEL_ID": "distilbert-base-uncased-finetuned-sst-2-english",
        "LOCAL_MODEL_DIR": "",
        "QUANTIZE": "true",
    }
    runs = " ".join(run.arguments for run in export.all("RUN"))
    assert "pip install --require-hashes --no-deps --extra-index-url https://download.pytorch.org/whl/cpu -r export.txt" in runs
    assert runs.count("python -m training.sentiment.export_onnx") == 2
    assert runs.count("--output /model") == 2
    # MODEL_SOURCE picks the stage the runtime copies the model from.
    assert global_args == {"MODEL_SOURCE": "export", "PYTHON_VERSION": LAMBDA_PYTHON_VERSION}
    assert stages["model"].base_image == "model-export"  # FROM model-${MODEL_SOURCE}, the default substituted
    assert {"model-export", "model-prebuilt"} <= set(stages)


def test_the_prebuilt_stage_copies_the_artifact_layout(stages: dict[str, Stage]) -> None:
    prebuilt = stages["model-prebuilt"]
    directory = prebuilt.args()["PREBUILT_MODEL_DIR"]
    assert REPO_ROOT / directory == FIXTURE_MODEL_DIR
    (copy,) = prebuilt.all("COPY")
    *sources, destination = copy.arguments.split()[1:]
    assert destination == "/model/"
    assert sources == [f"${{PREBUILT_MODEL_DIR}}/{name}" for name in ARTIFACT_FILES]


def test_only_paths_in_the_build_context_are_read(dockerfile: Dockerfile) -> None:
    defaults = {"${PREBUILT_MODEL_DIR}": "fixtures/sentiment/model"}
    for stage in dockerfile.stages:
        for copy in stage.all("COPY"):
            if copy.arguments.startswith("--from="):
                continue
            sources = [token for token in copy.arguments.split()[:-1] if not token.startswith("--")]
            for source in sources:
                for variable, value in defaults.items():
                    source = source.replace(variable, value)
                assert source.startswith(CONTEXT_PATHS), f"COPY {source} is outside the build context"
                assert (REPO_ROOT / source.split("*")[0]).exists(), f"COPY {source}: no such path"
        for run in stage.all("RUN"):
            for mount in re.findall(r"--mount=(\S+)", run.arguments):
                options = dict(option.partition("=")[::2] for option in mount.split(","))
                if "from" in options:  # another stage's output (the model)
                    assert options["from"] in {s.name for s in dockerfile.stages}
                elif options["type"] == "bind":  # the whole context, read-only
                    assert "source" not in options and options["target"] == "/context"
                else:
                    assert options == {"type": "cache", "target": "/root/.cache/pip"}


def test_the_export_requirements_pin_the_cpu_torch() -> None:
    export = pins(EXPORT_REQUIREMENTS)
    assert export["torch"] == "2.13.0"
    assert {"transformers", "onnx", "onnxscript", "onnxruntime", "tokenizers", "numpy"} <= set(export)
    runtime_pins = pins(REQUIREMENTS)
    for shared in set(export) & set(runtime_pins):  # the export validates with the runtime's versions
        assert export[shared] == runtime_pins[shared], shared


def _pruned_module_prefixes() -> list[str]:
    removed = tomllib.loads((FUNCTION_DIR / "task_root.toml").read_text())["remove"]
    return [path.replace("/", ".") for path in removed if "/" in path]


# --- the import closure, in a fresh interpreter -----------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    assert sys.version_info[:2] == tuple(map(int, os.environ["EXPECTED_PYTHON"].split(".")))
    started = time.perf_counter()
    from sentiment.handler import lambda_handler
    cold_start_s = time.perf_counter() - started

    class Context:
        function_name, function_version, memory_limit_in_mb = "sentiment-test", "1", 2048
        aws_request_id = "req-1"
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:sentiment-test"

    answers = [
        lambda_handler({"texts": ["I love this!", "This is terrible", ""]}, Context()),
        lambda_handler({"action": "health"}, Context()),
        lambda_handler({"action": "keep_warm"}, Context()),
        lambda_handler({"texts": 5}, Context()),
        lambda_handler({"version": "2.0", "rawPath": "/predict", "body": '{"texts": ["ok"]}', "isBase64Encoded": False,
                        "headers": {}, "requestContext": {"http": {"method": "POST", "path": "/predict"},
                                                          "stage": "$default"}}, Context()),
    ]
    modules = sorted(sys.modules)
    from importlib.metadata import packages_distributions
    owners = {name: sorted(set(dists)) for name, dists in packages_distributions().items()}
    print(json.dumps({"modules": modules, "owners": owners, "answers": answers, "cold_start_s": cold_start_s,
                      "stdlib": sorted(sys.stdlib_module_names)}, default=str))
    """
)


def run_fresh(environment: dict[str, str], artifacts: Artifacts) -> dict:
    """SCRIPT in the real task root under Lambda's Python, with the Lambda runtime's boto3."""
    paths = [image_task_root(artifacts, "sentiment"), runtime_dir(artifacts)]
    return run_isolated(SCRIPT, paths=paths, environment={**environment, "EXPECTED_PYTHON": LAMBDA_PYTHON_VERSION})


@pytest.fixture(scope="module")
def fresh_run(artifacts: Artifacts) -> dict:
    """The model where the image puts it."""
    root = image_task_root(artifacts, "sentiment")
    return run_fresh({**FUNCTION_ENVIRONMENT, "MODEL_DIR": str(root / "sentiment_model")}, artifacts)


def test_a_fresh_cold_start_serves_every_kind_of_request(fresh_run: dict) -> None:
    predict, health, warm, bad, url = fresh_run["answers"]
    assert predict["statusCode"] == 200 and predict["body"]["count"] == 3
    assert health["body"]["model"]["model_id"] == "fixture/tiny-distilbert-sentiment"
    assert warm == {"status": "warm"}
    assert bad["statusCode"] == 400
    assert url["statusCode"] == 200 and json.loads(url["body"])["count"] == 1


def test_no_torch_transformers_or_undeclared_distribution_is_imported(fresh_run: dict) -> None:
    modules = fresh_run["modules"]
    tops = {name.split(".")[0] for name in modules}
    assert not tops & set(FORBIDDEN_AT_RUN_TIME), sorted(tops & set(FORBIDDEN_AT_RUN_TIME))
    assert "boto3" not in tops  # only the MODEL_S3_URI path imports the SDK
    allowed = set(pins(REQUIREMENTS)) | {"botocore"}  # the Lambda runtime's, used by Powertools if present
    stdlib = set(fresh_run["stdlib"])
    undeclared = {}
    for top in tops - stdlib - {"sentiment", "lambda_common", "__main__", "_distutils_hack"}:
        owners = {distribution_name(owner) for owner in fresh_run["owners"].get(top, [])}
        if top.startswith("_") and not owners:
            continue  # interpreter-internal modules (_io, _abc, ...)
        if not owners & allowed:
            undeclared[top] = sorted(owners)
    assert not undeclared, f"imported from distributions not in the lock: {undeclared}"
    # Nothing the install step prunes from the image is ever imported.
    pruned = _pruned_module_prefixes()
    assert pruned == ["onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools"]
    assert not [m for m in modules if m.startswith(tuple(pruned)) or (m.startswith("numpy.") and ".tests" in m)]

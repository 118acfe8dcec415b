"""What ships: the Dockerfile (read statically: no Docker engine here) and the function's import
closure, measured in the real task root (built by the Dockerfile's install step, run under
Lambda's CPython with nothing else importable) after real requests: no torch, no
transformers, only distributions in the function's lock."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from sentiment.inference import ARTIFACT_FILES
from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tests.support.artifacts import Artifacts
from tests.support.image_install import image_task_root, install_step
from tests.support.runtime_images import run_sentiment, undeclared_imports
from tests.support.sentiment import FIXTURE_MODEL_DIR, FUNCTION_DIR, FUNCTION_ENVIRONMENT
from tools.dockerfile import Dockerfile, Stage, parse_dockerfile
from tools.locks import pins

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements-x86_64.txt"
EXPORT_REQUIREMENTS = REPO_ROOT / "requirements" / "export.txt"
# What the CDK asset sends as build context (everything else is excluded).
CONTEXT_PATHS = (
    "functions/sentiment/",
    "functions/lambda_common/",
    "training/sentiment/",
    "fixtures/sentiment/",
    "requirements/export.txt",
    "tools/task_root.py",
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


def test_the_install_step_copies_the_model_and_no_torch_or_transformers() -> None:
    step = install_step("sentiment")  # its --function and --target: tests/functions/test_runtime_images.py
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
    assert (
        "pip install --require-hashes --no-deps --extra-index-url https://download.pytorch.org/whl/cpu -r export.txt"
        in runs
    )
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


@pytest.fixture(scope="module")
def fresh_run(artifacts: Artifacts) -> dict:
    """The model where the image puts it."""
    root = image_task_root(artifacts, "sentiment")
    return run_sentiment({**FUNCTION_ENVIRONMENT, "MODEL_DIR": str(root / "sentiment_model")}, artifacts)


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
    undeclared = undeclared_imports(fresh_run, allowed=allowed, own={"sentiment"})
    assert not undeclared, f"imported from distributions not in the lock: {undeclared}"
    # Nothing the install step prunes from the image is ever imported.
    pruned = _pruned_module_prefixes()
    assert pruned == ["onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools"]
    assert not [m for m in modules if m.startswith(tuple(pruned)) or (m.startswith("numpy.") and ".tests" in m)]

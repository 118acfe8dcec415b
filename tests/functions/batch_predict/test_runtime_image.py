"""What ships: the Dockerfile (read statically: no Docker engine here), its pinned requirements,
and the function's import closure measured in a fresh interpreter after real jobs with every
model and data format: nothing imported that requirements.txt does not list (or the Lambda
base image provide), nothing the Dockerfile prunes, no pandas, no skl2onnx."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.functions.batch_predict.conftest import (
    FUNCTION_DIR, REPO_ROOT, TRUSTED_PREFIX, data_uri, encode, input_table, joblib_bytes, model_uri, onnx_bytes,
    output_uri, put, skops_bytes, unique,
)
from tools.pinned_requirements import pinned_requirements
from tools.dockerfile import Stage, parse_dockerfile
from tools.image_task_root import image_task_root, pruning

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
REQUIREMENTS = FUNCTION_DIR / "requirements.txt"
RUNTIME_BASE_IMAGE = "public.ecr.aws/lambda/python:3.14"
FORBIDDEN_AT_RUN_TIME = {"pandas", "skl2onnx", "onnx", "torch", "moto", "pytest"}


@pytest.fixture(scope="module")
def runtime() -> Stage:
    return parse_dockerfile(DOCKERFILE).stages[-1]


def test_the_image_is_the_lambda_python_base_with_the_handler_cmd(runtime: Stage) -> None:
    assert runtime.base_image == RUNTIME_BASE_IMAGE and runtime.platform is None
    (cmd,) = runtime.all("CMD")
    assert json.loads(cmd.arguments) == ["batch_predict.handler.lambda_handler"]
    copies = [c.arguments.split() for c in runtime.all("COPY")]
    assert ["--chmod=0644", "functions/batch_predict/*.py", "${LAMBDA_TASK_ROOT}/batch_predict/"] in copies
    assert ["--chmod=0644", "functions/lambda_common/*.py", "${LAMBDA_TASK_ROOT}/lambda_common/"] in copies
    env = " ".join(e.arguments for e in runtime.all("ENV"))
    assert "XDG_CACHE_HOME=/tmp/" in env and "JOBLIB_TEMP_FOLDER=/tmp" in env  # only /tmp is writable


def test_the_requirements_are_pinned_and_what_the_tests_run(runtime: Stage) -> None:
    (install,) = [run.arguments for run in runtime.all("RUN") if "pip install" in run.arguments]
    assert "source=functions/batch_predict/requirements.txt" in install
    assert "--no-deps" in install and "--only-binary=:all:" in install
    pins = pinned_requirements(REQUIREMENTS)
    assert {"numpy", "scikit-learn", "pyarrow", "onnxruntime", "skops", "joblib", "aws-lambda-powertools"} <= set(pins)
    assert not set(pins) & (FORBIDDEN_AT_RUN_TIME | {"boto3", "botocore"})
    assert {name: version(name) for name in pins} == pins  # the tests exercise exactly what ships


SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from batch_predict.handler import lambda_handler

    class Context:
        function_name, function_version, memory_limit_in_mb = "batch-predict-test", "1", 2048
        aws_request_id = "req-1"
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:batch-predict-test"

    answers = [lambda_handler(event, Context()) for event in json.loads(os.environ["EVENTS"])]
    print(json.dumps({"modules": sorted(sys.modules), "answers": answers}, default=str))
    """
)


@pytest.fixture(scope="module")
def fresh_run(
    s3: Any, classifier: Any, function_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
    runtime: Stage,
) -> dict[str, Any]:
    models = [
        put(s3, model_uri("m.skops"), skops_bytes(classifier)),
        put(s3, model_uri("m.onnx"), onnx_bytes(classifier)),
        put(s3, f"{TRUSTED_PREFIX}{unique('m.joblib')}", joblib_bytes(classifier)),
    ]
    table = input_table(50)
    inputs = [put(s3, data_uri(f"in{ext}"), encode(table, ext)) for ext in (".csv.gz", ".jsonl", ".parquet")]
    events: list[dict[str, Any]] = [
        {"model_s3_uri": model, "data_s3_uri": source, "output_s3_uri": output_uri(f"out{ext}"), "include_probabilities": True}
        for model, source, ext in zip(models, inputs, (".parquet", ".csv.gz", ".jsonl.gz"), strict=True)
    ]
    events += [{"action": "health"}, {"model_s3_uri": 5}]
    root = image_task_root(
        dockerfile=DOCKERFILE, requirements=REQUIREMENTS, destination=tmp_path_factory.mktemp("image") / "task"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{root}:{REPO_ROOT / 'functions'}",
        "HOME": "/nonexistent",  # nothing may need a home directory
        **function_environment,
        "EVENTS": json.dumps(events),
    }
    completed = subprocess.run(  # -S: no site-packages, only the task root and the standard library
        [sys.executable, "-S", "-c", SCRIPT], env=environment, capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_fresh_cold_start_runs_every_model_and_data_format(fresh_run: dict[str, Any]) -> None:
    """With only what the image holds importable."""
    *jobs, health, bad = fresh_run["answers"]
    assert [job["statusCode"] for job in jobs] == [200, 200, 200], [job["body"] for job in jobs]
    assert [job["body"]["model"]["format"] for job in jobs] == ["skops", "onnx", "joblib"]
    assert [job["body"]["input_format"] for job in jobs] == ["csv.gz", "jsonl", "parquet"]
    assert health["body"]["status"] == "ok"
    assert bad["statusCode"] == 400


def test_nothing_outside_the_image_is_imported(fresh_run: dict[str, Any], runtime: Stage) -> None:
    modules = set(fresh_run["modules"])
    tops = {name.split(".")[0] for name in modules}
    assert not tops & FORBIDDEN_AT_RUN_TIME, sorted(tops & FORBIDDEN_AT_RUN_TIME)
    pruned, pruned_tests = pruning(runtime)
    assert {"onnxruntime/tools", "pyarrow/include"} <= pruned and {"sklearn", "skops"} <= pruned_tests
    dotted = {path.replace("/", ".") for path in pruned}
    assert not [name for name in modules if name in dotted or name.startswith(tuple(f"{p}." for p in dotted))]
    assert not [name for name in modules if ".tests" in name]

"""What ships: the Dockerfile (read statically: no Docker engine here), its locked requirements,
and the function's import closure measured in the real task root (built by the Dockerfile's
install step, run under Lambda's CPython with nothing else importable) after real jobs with
every model and data format: nothing the task root or the Lambda runtime lacks, nothing
task_root.toml prunes, no pandas, no skl2onnx."""

from __future__ import annotations

import json
import textwrap
import tomllib
from typing import Any

import pytest

from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tests.support.artifacts import Artifacts
from tests.support.batch_predict import (
    FUNCTION_DIR,
    TRUSTED_PREFIX,
    data_uri,
    encode,
    input_table,
    joblib_bytes,
    model_uri,
    onnx_bytes,
    output_uri,
    put,
    skops_bytes,
    unique,
)
from tests.support.image_install import image_task_root, run_isolated, runtime_dir
from tests.support.runtime_images import script_context
from tools.dockerfile import Stage, parse_dockerfile
from tools.locks import pins

DOCKERFILE = FUNCTION_DIR / "Dockerfile"
LOCKS = [FUNCTION_DIR / "requirements-x86_64.txt"]
FORBIDDEN_AT_RUN_TIME = {"pandas", "skl2onnx", "onnx", "torch", "moto", "pytest"}


@pytest.fixture(scope="module")
def runtime() -> Stage:
    return parse_dockerfile(DOCKERFILE).stages[-1]


# The base image, CMD and install step (no --copy: models come from S3): tests/functions/test_runtime_images.py
def test_caches_and_temporary_files_go_to_tmp(runtime: Stage) -> None:
    env = " ".join(e.arguments for e in runtime.all("ENV"))
    assert "XDG_CACHE_HOME=/tmp/" in env and "JOBLIB_TEMP_FOLDER=/tmp" in env  # only /tmp is writable


def test_the_locks_hold_the_runtime_and_nothing_forbidden() -> None:
    x86_64 = pins(LOCKS[0])  # the same as arm64's, and what the tests run: tests/functions/test_runtime_images.py
    assert {"numpy", "scikit-learn", "pyarrow", "onnxruntime", "skops", "joblib", "aws-lambda-powertools"} <= set(
        x86_64
    )
    assert not set(x86_64) & (FORBIDDEN_AT_RUN_TIME | {"boto3", "botocore", "protobuf", "sympy"})


SCRIPT = (
    textwrap.dedent(
        """
    import json, os, sys
    from batch_predict.handler import lambda_handler
    assert sys.version_info[:2] == tuple(map(int, os.environ["EXPECTED_PYTHON"].split(".")))
    """
    )
    + script_context("batch-predict-test", 2048)
    + textwrap.dedent(
        """
    answers = [lambda_handler(event, Context()) for event in json.loads(os.environ["EVENTS"])]
    print(json.dumps({"modules": sorted(sys.modules), "answers": answers}, default=str))
    """
    )
)


@pytest.fixture(scope="module")
def fresh_run(
    s3: Any,
    classifier: Any,
    function_environment: dict[str, str],
    artifacts: Artifacts,
) -> dict[str, Any]:
    models = [
        put(s3, model_uri("m.skops"), skops_bytes(classifier)),
        put(s3, model_uri("m.onnx"), onnx_bytes(classifier)),
        put(s3, f"{TRUSTED_PREFIX}{unique('m.joblib')}", joblib_bytes(classifier)),
    ]
    table = input_table(50)
    inputs = [put(s3, data_uri(f"in{ext}"), encode(table, ext)) for ext in (".csv.gz", ".jsonl", ".parquet")]
    events: list[dict[str, Any]] = [
        {
            "model_s3_uri": model,
            "data_s3_uri": source,
            "output_s3_uri": output_uri(f"out{ext}"),
            "include_probabilities": True,
        }
        for model, source, ext in zip(models, inputs, (".parquet", ".csv.gz", ".jsonl.gz"), strict=True)
    ]
    events += [{"action": "health"}, {"model_s3_uri": 5}]
    environment = {**function_environment, "EVENTS": json.dumps(events), "EXPECTED_PYTHON": LAMBDA_PYTHON_VERSION}
    paths = [image_task_root(artifacts, "batch_predict"), runtime_dir(artifacts)]
    return run_isolated(SCRIPT, paths=paths, environment=environment)


def test_a_fresh_cold_start_runs_every_model_and_data_format(fresh_run: dict[str, Any]) -> None:
    """With only what the image and the Lambda runtime hold importable, under Lambda's Python."""
    *jobs, health, bad = fresh_run["answers"]
    assert [job["statusCode"] for job in jobs] == [200, 200, 200], [job["body"] for job in jobs]
    assert [job["body"]["model"]["format"] for job in jobs] == ["skops", "onnx", "joblib"]
    assert [job["body"]["input_format"] for job in jobs] == ["csv.gz", "jsonl", "parquet"]
    assert health["body"]["status"] == "ok"
    assert bad["statusCode"] == 400


def test_nothing_outside_the_image_is_imported(fresh_run: dict[str, Any]) -> None:
    modules = set(fresh_run["modules"])
    tops = {name.split(".")[0] for name in modules}
    assert not tops & FORBIDDEN_AT_RUN_TIME, sorted(tops & FORBIDDEN_AT_RUN_TIME)
    spec = tomllib.loads((FUNCTION_DIR / "task_root.toml").read_text())
    pruned, pruned_tests = set(spec["remove"]), set(spec["remove_tests_of"])
    assert {"onnxruntime/tools", "pyarrow/include"} <= pruned and {"sklearn", "skops"} <= pruned_tests
    dotted = {path.replace("/", ".") for path in pruned}
    assert not [name for name in modules if name in dotted or name.startswith(tuple(f"{p}." for p in dotted))]
    assert not [name for name in modules if ".tests" in name]

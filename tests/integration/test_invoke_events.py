"""Every committed event in events/ through `python -m tools.invoke` (what `make invoke` runs), as
a user's shell runs it on a fresh clone: a real `cdk synth -c env=dev`, none of the functions'
deploy-time variables set. The batch predictor's events then run against the embedded S3 that
tools.invoke starts with `make serve`'s demo data; `bad_*` events are answered with a 400,
the others with the success their kind calls for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.common.paths import REPO_ROOT
from stacks.workloads import WORKLOAD_NAMES
from tests.support.cdk_cli import cdk_cli_synth, shell_env
from tools.cloud_assembly import CloudAssembly
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get
from tools.local_serve.catalog import served_functions
from tools.local_serve.embedded_s3 import EmbeddedS3
from training.batch_predict.local_s3 import LOCAL_ENVIRONMENT, seed

EVENTS = REPO_ROOT / "events"
EVENT_FILES = sorted(EVENTS.glob("*/*.json"))
# At least these: a glob that finds nothing must not pass.
KNOWN_FOLDERS = set(WORKLOAD_NAMES)
EMBEDDED_S3_NOTE = "running against an embedded S3"
# An answer that carries a result: predictions (direct, batch, HTTP), or a Step Functions plan.
RESULT_KEYS = ("predictions_generated", "results", "breakdown", "pages", "batch_input", "upload_url")
# Functions with buckets created at deploy time: make invoke runs them against an embedded S3.
EMBEDDED_S3_FUNCTIONS = ("batch_predict", "checkbox")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def answer(self) -> Any:
        assert self.returncode == 0, f"exit {self.returncode}\n{self.stderr[-3000:]}"
        return json.loads(self.stdout)


def invoke(cdk_out: Path, event: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
    folder = event.parent.name
    command = [
        sys.executable,
        "-m",
        "tools.invoke",
        "--function",
        folder,
        "--event",
        str(event),
        "--cdk-out",
        str(cdk_out),
        *extra,
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env or shell_env(), capture_output=True, text=True, timeout=600)
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cdk_cli_synth(("dev",), tmp_path_factory)["dev"].outdir


@pytest.fixture(scope="module")
def runs(cdk_out: Path) -> dict[Path, Run]:
    """Every event, two at a time (each is its own process, as `make invoke` is)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(EVENT_FILES, pool.map(lambda event: invoke(cdk_out, event), EVENT_FILES), strict=False))


def status_and_body(answer: Any) -> tuple[int | None, Any]:
    """(HTTP-style status or None, the body decoded): a direct answer, {"statusCode", "body"}
    (body an object or a JSON string: API Gateway / Function URL), or a flat {"statusCode", ...}."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return None, answer
    if "body" not in answer:
        return answer["statusCode"], {k: v for k, v in answer.items() if k != "statusCode"}
    body = answer["body"]
    return answer["statusCode"], json.loads(body) if isinstance(body, str) else body


def test_the_events_of_every_function_are_found() -> None:
    assert {event.parent.name for event in EVENT_FILES} >= KNOWN_FOLDERS
    assert len(EVENT_FILES) >= 20


@pytest.mark.parametrize("event", EVENT_FILES, ids=lambda path: str(path.relative_to(EVENTS)))
def test_every_event_gets_the_answer_its_kind_calls_for(event: Path, runs: dict[Path, Run], cdk_out: Path) -> None:
    run = runs[event]
    status, body = status_and_body(run.answer())
    name = event.stem
    if name.startswith("bad_"):
        assert status == 400, run.stdout
        assert isinstance(body["error"], str) and len(body["error"]) > 20, body  # says what to fix
        return
    assert status in (None, 200), run.stdout
    if "keep_warm" in name:
        assert body == {"status": "warm"}
    elif "health" in name:
        function_name = CloudAssembly(cdk_out).function(event.parent.name).function_name
        assert body["status"] == "ok" and body["function_name"] == function_name, body
    else:
        assert isinstance(body, dict) and any(body.get(key) for key in RESULT_KEYS), body
        if "predictions_generated" in body:
            assert body["predictions_generated"] > 0


def test_functions_with_deploy_time_buckets_say_they_run_against_the_embedded_s3(
    runs: dict[Path, Run], cdk_out: Path
) -> None:
    buckets = served_functions(cdk_out, only=["batch_predict"])[0].deploy_time_values
    for event, run in runs.items():
        if event.parent.name in EMBEDDED_S3_FUNCTIONS:
            assert EMBEDDED_S3_NOTE in run.stderr, run.stderr[-2000:]
        if event.parent.name == "batch_predict":
            assert buckets["MODEL_BUCKET"] in run.stderr  # the template's local name, as make serve's
        elif event.parent.name not in EMBEDDED_S3_FUNCTIONS:
            assert EMBEDDED_S3_NOTE not in run.stderr


def test_the_batch_events_name_the_dev_templates_local_buckets(cdk_out: Path) -> None:
    """events/batch_predict/ and `make batch-local-s3` use `make serve`'s names for the dev stack."""
    (batch,) = served_functions(cdk_out, only=["batch_predict"])
    expected = {name: batch.deploy_time_values[name] for name in ("MODEL_BUCKET", "DATA_BUCKET", "RESULTS_BUCKET")}
    assert {name: LOCAL_ENVIRONMENT[name] for name in expected} == expected
    assert LOCAL_ENVIRONMENT["TRUSTED_PICKLE_PREFIXES"] == batch.deploy_time_values["TRUSTED_PICKLE_PREFIXES"]
    for event in (EVENTS / "batch_predict").glob("*.json"):
        text = event.read_text()
        named = {bucket for bucket in expected.values() if bucket in text}
        assert named or "s3://" not in text, f"{event.name} names buckets that are not the template's"


@pytest.mark.parametrize("event", ["bad_missing_fields.json", "predict_trusted_joblib_jsonl.json"])
def test_the_artifact_runs_batch_events_against_the_embedded_s3_too(cdk_out: Path, event: str) -> None:
    interpreter = find_lambda_interpreter()
    assert interpreter is not None, how_to_get()
    run = invoke(cdk_out, EVENTS / "batch_predict" / event, "--artifact", "--lambda-python", str(interpreter))
    status, body = status_and_body(run.answer())
    assert EMBEDDED_S3_NOTE in run.stderr
    if event.startswith("bad_"):
        assert status == 400 and "missing 'data_s3_uri'" in body["error"], body
    else:
        assert status == 200 and body["predictions_generated"] == 200, body
        assert body["model"]["format"] == "joblib"  # the trusted pickle: the trusted prefix is in place


def test_with_the_bucket_variables_set_the_function_uses_your_s3(cdk_out: Path) -> None:
    server = EmbeddedS3(port=0, region_name="us-east-1")
    server.start()
    try:
        s3 = server.client()
        seed(s3)
        env = {
            **shell_env(),
            **LOCAL_ENVIRONMENT,
            "AWS_ENDPOINT_URL_S3": server.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        run = invoke(cdk_out, EVENTS / "batch_predict" / "predict_csv.json", env=env)
        _, body = status_and_body(run.answer())
        assert body["predictions_generated"] == 200
        assert EMBEDDED_S3_NOTE not in run.stderr
        written = s3.get_object(Bucket=LOCAL_ENVIRONMENT["RESULTS_BUCKET"], Key="predictions/sample-predictions.csv")
        assert len(written["Body"].read().decode().splitlines()) == 201  # header + 200 rows, in *this* S3
    finally:
        server.stop()


def test_some_bucket_variables_set_and_others_not_is_refused(cdk_out: Path) -> None:
    env = {**shell_env(), "MODEL_BUCKET": LOCAL_ENVIRONMENT["MODEL_BUCKET"]}
    run = invoke(cdk_out, EVENTS / "batch_predict" / "health.json", env=env)
    assert run.returncode == 2
    assert "DATA_BUCKET" in run.stderr and "set all of them" in run.stderr

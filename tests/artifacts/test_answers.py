"""Every function's artifact (the exact ZIP asset, or the task root its Dockerfile's install step
builds) started by the runtime interface client under Lambda's Python, nothing else
importable, answering real events: its health check, a real prediction, a bad input (a 400
with a message), and an event the runtime cannot decode. Its size, init duration and peak RSS
are recorded (conftest.py). Folds in what tests/integration/test_container_entrypoints.py
checked from the source tree under the development Python.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.checkbox_scoring import match_pages, match_rate
from stacks.common.paths import REPO_ROOT
from tests.support.artifacts import INIT_TIMEOUT_SECONDS, INVOKE_TIMEOUT_SECONDS, KNOWN_FUNCTIONS, Artifacts
from tools.artifact_process import RunningArtifact, figures
from tools.artifacts import Artifact
from tools.cloud_assembly import FunctionDefinition
from tools.local_lambda import LOCAL_MODEL_FIXTURES
from tools.local_serve.embedded_s3 import EmbeddedS3

Invoke = Callable[[Any], Any]  # event -> the function's JSON response (asserted to be one)
EVENTS = REPO_ROOT / "events"
BATCH_FIXTURES = REPO_ROOT / "fixtures" / "batch_predict"
PARITY_DIR = REPO_ROOT / "fixtures" / "checkbox" / "parity"


@dataclass(frozen=True)
class Exercise:
    """What to send one function and what to expect; `overrides` adds to its environment."""

    run: Callable[[FunctionDefinition, Invoke, dict[str, Any]], None]
    health: Any  # the event `make bench` measures with
    needs_s3: bool = False


def _event(path: str) -> Any:
    return json.loads((EVENTS / path).read_text())


def _exercise_mask_predictor(fn: FunctionDefinition, invoke: Invoke, _extra: dict[str, Any]) -> None:
    health = invoke({"action": "health"})
    assert health["status"] == "ok" and health["function_name"] == fn.function_name, health
    model_json = json.loads((REPO_ROOT / "functions" / "mask_predictor" / "model" / "model.json").read_text())
    assert health["model"]["sha256"] == model_json["sha256"], "the layer's model is the committed one"

    result = invoke({"mask_name": "3M Aura 9205+ N95"})
    assert result["tokens"] == ["3M", "Aura", "9205+", "N95"], result
    assert result["breakdown"] == [{"3M": "brand"}, {"Aura": "model"}, {"9205+": "model"}, {"N95": "filter_type"}]
    assert 0.0 <= result["confidence"] <= 1.0

    bad = invoke({"mask_name": ""})
    assert bad["statusCode"] == 400 and bad["error_type"] == "ValidationError" and "mask_name" in bad["error"], bad


def _exercise_sentiment(fn: FunctionDefinition, invoke: Invoke, _extra: dict[str, Any]) -> None:
    response = invoke(_event("sentiment/texts.json"))  # ["I love this!", "This is terrible"]
    assert set(response) == {"statusCode", "body"} and response["statusCode"] == 200, response
    body = response["body"]
    assert body["count"] == 2 and [r["sentiment"] for r in body["results"]] == ["positive", "negative"]
    assert all(0.5 <= result["score"] <= 1.0 for result in body["results"])

    health = invoke({"action": "health"})
    assert health["statusCode"] == 200 and health["body"]["status"] == "ok", health
    model_json = json.loads((LOCAL_MODEL_FIXTURES["sentiment"]["MODEL_DIR"] / "model.json").read_text())
    assert health["body"]["model"]["sha256"] == model_json["sha256"], "the prebuilt model is in the task root"
    assert health["body"]["function_name"] == fn.function_name
    assert health["body"]["limits"]["max_texts"] == int(fn.environment["MAX_TEXTS"])

    bad = invoke({"text": "I love this"})
    assert bad["statusCode"] == 400 and "missing 'texts'" in bad["body"]["error"], bad


def _exercise_checkbox(fn: FunctionDefinition, invoke: Invoke, _extra: dict[str, Any]) -> None:
    predict = _event("checkbox/apigw_post_predict_json.json")
    response = invoke(predict)
    assert (response["statusCode"], response["isBase64Encoded"]) == (200, False), response
    body = json.loads(response["body"])
    assert [(page["page"], page["width"], page["height"]) for page in body["pages"]] == [(0, 400, 200)]
    assert body["model"]["class_names"] == ["checked", "unchecked"]
    model_file = fn.image.context_dir / fn.image.build_args["MODEL_FILE"] if fn.image else None
    assert model_file is not None, "the checkbox function is an image"
    assert body["model"]["sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert isinstance(body["pages"][0]["detections"], list)

    # A held-out form: what ships finds what ultralytics' own predict found (make train-checkbox).
    name = "page_jpeg_150dpi_1.jpg"
    expected = json.loads((PARITY_DIR / "expected.json").read_text())["pages"][name]["detections"]
    form = base64.b64encode((PARITY_DIR / name).read_bytes()).decode()
    answer = invoke({**predict, "body": json.dumps({"image": form, "conf": 0.25, "iou": 0.45})})
    assert answer["statusCode"] == 200, answer
    found = json.loads(answer["body"])["pages"][0]["detections"]
    ours = [(d["class_id"], d["confidence"], *(d["box"][corner] for corner in ("x1", "y1", "x2", "y2"))) for d in found]
    theirs = [(d["class_id"], d["confidence"], d["x1"], d["y1"], d["x2"], d["y2"]) for d in expected]
    assert len(theirs) > 5 and match_rate([match_pages(ours, theirs)]) == 1.0, (ours, theirs)

    health = invoke(_event("checkbox/apigw_get_health.json"))
    assert health["statusCode"] == 200 and json.loads(health["body"])["function_name"] == fn.function_name, health

    bad = invoke({**predict, "body": "{not json", "isBase64Encoded": False})
    assert bad["statusCode"] == 400, bad
    assert json.loads(bad["body"])["error"], bad


def _exercise_batch_predict(fn: FunctionDefinition, invoke: Invoke, extra: dict[str, Any]) -> None:
    s3, buckets = extra["s3"], extra["deploy_time"]
    health = invoke({"action": "health"})
    assert health["statusCode"] == 200 and health["body"]["status"] == "ok", health
    assert health["body"]["model_location"] == f"s3://{buckets['MODEL_BUCKET']}/{fn.environment['MODEL_PREFIX']}"
    assert invoke({"action": "keep_warm"}) == {"status": "warm"}

    model_uri = f"s3://{buckets['MODEL_BUCKET']}/{fn.environment['MODEL_PREFIX']}model.skops"
    data_uri = f"s3://{buckets['DATA_BUCKET']}/{fn.environment['DATA_PREFIX']}sample.csv"
    output_key = f"{fn.environment['RESULTS_PREFIX']}sample-predictions.csv"
    response = invoke(
        {
            "model_s3_uri": model_uri,
            "data_s3_uri": data_uri,
            "output_s3_uri": f"s3://{buckets['RESULTS_BUCKET']}/{output_key}",
            "overwrite": True,
        }
    )
    assert response["statusCode"] == 200, response
    rows_in = list(csv.DictReader(io.StringIO((BATCH_FIXTURES / "sample.csv").read_text())))
    assert response["body"]["predictions_generated"] == len(rows_in) == 200, response
    written = s3.get_object(Bucket=buckets["RESULTS_BUCKET"], Key=output_key)["Body"].read().decode()
    rows_out = list(csv.DictReader(io.StringIO(written)))
    assert [row["id"] for row in rows_out] == [row["id"] for row in rows_in]
    assert set(rows_out[0]) > set(rows_in[0]), f"a prediction column is added: {list(rows_out[0])}"

    bad = invoke({"model_s3_uri": model_uri})
    assert bad["statusCode"] == 400 and "missing 'data_s3_uri'" in bad["body"]["error"], bad


# One entry per function (folder under functions/): a discovered function without one fails.
EXERCISES: dict[str, Exercise] = {
    "mask_predictor": Exercise(run=_exercise_mask_predictor, health={"action": "health"}),
    "sentiment": Exercise(run=_exercise_sentiment, health={"action": "health"}),
    "checkbox": Exercise(run=_exercise_checkbox, health=_event("checkbox/apigw_get_health.json")),
    "batch_predict": Exercise(run=_exercise_batch_predict, health={"action": "health"}, needs_s3=True),
}


def seed_batch_buckets(artifact: Artifact, s3_server: EmbeddedS3) -> Any:
    """The function's buckets (their local names) with the committed model and CSV."""
    fn = artifact.function
    bucket = artifact.deploy_time.__getitem__
    s3 = s3_server.client()
    for name in ("MODEL_BUCKET", "DATA_BUCKET", "RESULTS_BUCKET"):
        if bucket(name) not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=bucket(name))
    s3.put_object(
        Bucket=bucket("MODEL_BUCKET"),
        Key=f"{fn.environment['MODEL_PREFIX']}model.skops",
        Body=(BATCH_FIXTURES / "model.skops").read_bytes(),
    )
    s3.put_object(
        Bucket=bucket("DATA_BUCKET"),
        Key=f"{fn.environment['DATA_PREFIX']}sample.csv",
        Body=(BATCH_FIXTURES / "sample.csv").read_bytes(),
    )
    return s3


def invoke_json(running: RunningArtifact) -> Invoke:
    def invoke(event: Any) -> Any:
        result = running.invoke(event, timeout=INVOKE_TIMEOUT_SECONDS)
        assert result.succeeded, f"the function answered with an invocation error: {result.body!r}"
        assert result.content_type == "application/json"
        return result.json()

    return invoke


def test_every_function_is_discovered_and_has_an_exercise(discovered: dict[str, FunctionDefinition]) -> None:
    assert set(discovered) >= KNOWN_FUNCTIONS, sorted(discovered)
    missing = sorted(set(discovered) - set(EXERCISES))
    assert not missing, f"add an Exercise to EXERCISES for {missing}"


@pytest.mark.parametrize("folder", sorted(EXERCISES))
def test_the_artifact_answers_real_events_under_lambdas_python(
    folder: str, artifacts: Artifacts, s3_server: EmbeddedS3, record_figures: list, tmp_path: Path
) -> None:
    assert folder in artifacts.functions, f"{folder} is not in the synthesized app"
    artifact: Artifact = artifacts[folder]
    fn = artifact.function
    exercise = EXERCISES[folder]
    extra: dict[str, Any] = {}
    overrides: dict[str, str] = {}
    if exercise.needs_s3:
        extra["s3"], extra["deploy_time"] = seed_batch_buckets(artifact, s3_server), artifact.deploy_time
        overrides["AWS_ENDPOINT_URL_S3"] = s3_server.endpoint_url
    with artifacts.start(artifact, tmp_path / "run", overrides=overrides) as running:
        try:
            init_ms = running.wait_for_init(timeout=INIT_TIMEOUT_SECONDS)
            exercise.run(fn, invoke_json(running), extra)
            # An event the runtime cannot decode is its error, posted as one; it keeps serving.
            garbled = running.invoke(b"{not json", timeout=INVOKE_TIMEOUT_SECONDS)
            assert not garbled.succeeded and garbled.json()["errorType"] == "Runtime.UnmarshalError"
            peak = running.peak_rss_mb()
            exit_status = running.stop()
        except Exception as error:
            raise AssertionError(
                f"{folder} ({fn.function_name}): {error}\n--- runtime log ---\n{running.log_tail()}"
            ) from error
    assert exit_status == -signal.SIGTERM, f"{folder}: still serving until stopped, then exited {exit_status}"
    assert peak is not None and peak > 0
    record_figures.append(figures(running, init_ms=init_ms, peak_rss_mb=peak))


def test_deploy_time_values_are_the_local_names_make_serve_uses(artifacts: Artifacts) -> None:
    """A Ref to a bucket the stack creates, and a URI joined from it, resolve to the one local
    name `make serve` and `make invoke` give that bucket (tools/local_serve/template_values.py)."""
    artifact = artifacts["batch_predict"]
    models = artifact.deploy_time["MODEL_BUCKET"]
    assert models == f"batchpredict-{artifact.function.stack_name.split('-')[-1]}-buckets-models"
    assert artifact.deploy_time["TRUSTED_PICKLE_PREFIXES"] == f"s3://{models}/models/trusted/"
    assert set(artifact.deploy_time) == {
        name for name, value in artifact.function.environment.items() if not isinstance(value, str)
    }

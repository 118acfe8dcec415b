"""The committed demo fixtures are what training/batch_predict/build_fixtures.py builds, their
three model files agree, and every sample event in events/batch_predict/ does what the README
says against a local S3 seeded by training/batch_predict/local_s3.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from batch_predict.model_policy import ONNX, PICKLE, SKOPS
from batch_predict.models import ModelIdentity, load_model
from stacks.common.paths import REPO_ROOT
from tests.support.batch_predict import FIXTURES_DIR, FUNCTION_ENVIRONMENT, UNSET_VARIABLES, s3_environment
from tests.support.lambda_invoke_server import LocalLambdaContext
from training.batch_predict import build_fixtures
from training.batch_predict.local_s3 import LOCAL_ENVIRONMENT, RESULTS_BUCKET, seed

EVENTS_DIR = REPO_ROOT / "events" / "batch_predict"


def test_the_committed_fixtures_are_a_rebuild(tmp_path: Path) -> None:
    build_fixtures.build(tmp_path)
    for name in build_fixtures.FILES:
        assert (tmp_path / name).read_bytes() == (FIXTURES_DIR / name).read_bytes(), name
        assert (FIXTURES_DIR / name).stat().st_size < 16 * 1024  # tiny, as committed fixtures should be


def test_the_three_model_files_are_one_model(tmp_path: Path) -> None:
    sample = pa_csv.read_csv(FIXTURES_DIR / build_fixtures.SAMPLE_FILE)
    assert sample.num_rows == build_fixtures.SAMPLE_ROWS
    features = np.column_stack([sample[name].to_numpy() for name in build_fixtures.FEATURES])
    loaded = {
        kind: load_model(
            FIXTURES_DIR / name,
            kind=kind,
            identity=ModelIdentity(s3_uri=name, etag="", format=kind),
            intra_op_threads=1,
        ).predict(features, probabilities=True)
        for kind, name in ((SKOPS, "model.skops"), (PICKLE, "model.joblib"), (ONNX, "model.onnx"))
    }
    assert loaded[SKOPS].classes == loaded[PICKLE].classes == loaded[ONNX].classes == ("high", "low", "medium")
    np.testing.assert_array_equal(loaded[SKOPS].labels, loaded[PICKLE].labels)
    np.testing.assert_array_equal(loaded[SKOPS].probabilities, loaded[PICKLE].probabilities)
    assert loaded[ONNX].labels.tolist() == loaded[SKOPS].labels.tolist()
    np.testing.assert_allclose(loaded[ONNX].probabilities, loaded[SKOPS].probabilities, atol=1e-5)
    assert set(loaded[SKOPS].labels.tolist()) == {"high", "low", "medium"}  # a demo worth looking at


# --- the sample events, against the local layout ----------------------------------------------


@pytest.fixture(scope="module")
def function_environment(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The README's local environment (LOCAL_ENVIRONMENT) instead of the other modules' one."""
    environment = {
        **{key: value for key, value in FUNCTION_ENVIRONMENT.items() if key not in LOCAL_ENVIRONMENT},
        **LOCAL_ENVIRONMENT,
        **s3_environment(s3_endpoint, tmp_path_factory.mktemp("lambda-tmp")),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in UNSET_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        import tempfile

        patch.setattr(tempfile, "tempdir", None)
        yield environment


@pytest.fixture(scope="module")
def seeded(s3: Any) -> list[str]:
    return seed(s3)


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("predict_csv.json", 200),
        ("predict_seed_contract.json", 200),
        ("predict_onnx_parquet_probabilities.json", 200),
        ("predict_trusted_joblib_jsonl.json", 200),
    ],
)
def test_prediction_events(
    handler: ModuleType, context: LocalLambdaContext, seeded: list[str], name: str, rows: int
) -> None:
    for _ in range(2):  # "overwrite": true: the demo can be run again
        response = handler.lambda_handler(event(name), context)
        assert response["statusCode"] == 200, response
        assert response["body"]["predictions_generated"] == rows


@pytest.mark.parametrize(
    ("name", "expected"),
    [("bad_untrusted_pickle.json", "TRUSTED_PICKLE_PREFIXES"), ("bad_missing_fields.json", "missing 'data_s3_uri'")],
)
def test_bad_events(
    handler: ModuleType, context: LocalLambdaContext, seeded: list[str], name: str, expected: str
) -> None:
    response = handler.lambda_handler(event(name), context)
    assert response["statusCode"] == 400 and expected in response["body"]["error"]


def test_health_keep_warm_and_notification_events(
    handler: ModuleType, context: LocalLambdaContext, seeded: list[str]
) -> None:
    assert handler.lambda_handler(event("health.json"), context)["body"]["status"] == "ok"
    assert handler.lambda_handler(event("keep_warm.json"), context) == {"status": "warm"}
    answer = handler.lambda_handler(event("s3_notification.json"), context)
    assert answer == {
        "objects": 1,
        "predictions_generated": 200,
        "outputs": [f"s3://{RESULTS_BUCKET}/predictions/sample.csv"],
    }


def test_step_functions_events(handler: ModuleType, context: LocalLambdaContext, seeded: list[str]) -> None:
    rows_plan = handler.lambda_handler(event("plan_job_csv_rows.json"), context)
    rows_batch = event("map_batch_csv_rows.json")
    assert rows_plan["batch_input"] == rows_batch["BatchInput"]  # the sample batch is what the plan hands on
    assert handler.lambda_handler(rows_batch, context)["predictions_generated"] == 5
    prefix_plan = handler.lambda_handler(event("plan_job_prefix.json"), context)
    objects_batch = event("map_batch_s3_objects.json")
    assert prefix_plan["batch_input"] == objects_batch["BatchInput"]
    assert handler.lambda_handler(objects_batch, context) == {
        "predictions_generated": 400,
        "outputs": [
            f"s3://{RESULTS_BUCKET}/predictions/jobs/daily/2026-11-23.parquet",
            f"s3://{RESULTS_BUCKET}/predictions/jobs/daily/2026-11-24.parquet",
        ],
    }


def test_every_sample_event_is_exercised() -> None:
    exercised = {
        "predict_csv.json",
        "predict_seed_contract.json",
        "predict_onnx_parquet_probabilities.json",
        "predict_trusted_joblib_jsonl.json",
        "bad_untrusted_pickle.json",
        "bad_missing_fields.json",
        "health.json",
        "keep_warm.json",
        "s3_notification.json",
        "plan_job_csv_rows.json",
        "map_batch_csv_rows.json",
        "plan_job_prefix.json",
        "map_batch_s3_objects.json",
    }
    assert {path.name for path in EVENTS_DIR.glob("*.json")} == exercised

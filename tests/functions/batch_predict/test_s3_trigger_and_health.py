"""S3 notifications (TRIGGER_* settings, raise on failure), health, keep-warm, and the metrics
the handler prints."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import pytest

from lambda_common.errors import ValidationError
from tests.support.batch_predict import (
    DATA_BUCKET,
    DATA_PREFIX,
    MODEL_BUCKET,
    RESULTS_BUCKET,
    RESULTS_PREFIX,
    TRIGGER_MODEL_URI,
    decode,
    encode,
    get,
    input_table,
    named_features,
    object_exists,
    put,
    skops_bytes,
    split,
    unique,
)
from tests.support.lambda_invoke_server import LocalLambdaContext


@pytest.fixture(scope="module")
def trigger_model(s3: Any, classifier: Any) -> str:
    return put(s3, TRIGGER_MODEL_URI, skops_bytes(classifier))


def notification(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """An S3 event notification as Lambda receives it (keys URL-encoded, spaces as '+')."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2026-11-24T04:00:00.000Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "batch-predict-trigger",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": 1024,
                        "eTag": "0123456789abcdef",
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
        ]
    }


def test_a_new_object_is_predicted_to_the_results_prefix(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, trigger_model: str
) -> None:
    relative = unique("daily report.csv")  # a space: arrives as '+'
    put(s3, f"s3://{DATA_BUCKET}/{DATA_PREFIX}{relative}", encode(input_table(25), ".csv"))
    answer = handler.lambda_handler(notification(DATA_BUCKET, DATA_PREFIX + relative), context)
    target = f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}{relative}"
    assert answer == {"objects": 1, "predictions_generated": 25, "outputs": [target]}
    output = decode(get(s3, target), ".csv")
    assert output["prediction"].to_pylist() == classifier.predict(named_features(input_table(25))).tolist()


def test_a_failing_object_raises_so_lambda_retries_it(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, trigger_model: str
) -> None:
    relative = unique("bad.csv")
    put(s3, f"s3://{DATA_BUCKET}/{DATA_PREFIX}{relative}", b"id,f1\n1,2\n")
    with pytest.raises(ValidationError, match="has no column 'f2'"):
        handler.lambda_handler(notification(DATA_BUCKET, DATA_PREFIX + relative), context)
    assert not object_exists(s3, f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}{relative}")


def test_an_object_outside_the_data_prefix_raises(
    handler: ModuleType, context: LocalLambdaContext, trigger_model: str
) -> None:
    with pytest.raises(ValidationError, match="the notified object s3://bp-models/x.csv is outside"):
        handler.lambda_handler(notification(MODEL_BUCKET, "x.csv"), context)


def test_other_s3_events_and_folder_markers_are_skipped(
    handler: ModuleType, context: LocalLambdaContext, trigger_model: str
) -> None:
    assert handler.lambda_handler(
        notification(DATA_BUCKET, DATA_PREFIX + "gone.csv", "ObjectRemoved:Delete"), context
    ) == {"objects": 0, "predictions_generated": 0, "outputs": []}
    assert handler.lambda_handler(notification(DATA_BUCKET, DATA_PREFIX + "folder/"), context)["objects"] == 0


def test_health_reports_the_configuration_without_touching_s3(handler: ModuleType, context: LocalLambdaContext) -> None:
    response = handler.lambda_handler({"action": "health"}, context)
    assert response["statusCode"] == 200
    body = response["body"]
    assert body["status"] == "ok"
    assert (body["function_name"], body["function_version"]) == ("batch-predict-test", "$LATEST")
    assert body["model_location"] == f"s3://{MODEL_BUCKET}/models/"
    assert body["data_location"] == f"s3://{DATA_BUCKET}/{DATA_PREFIX}"
    assert body["results_location"] == f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}"
    assert body["trusted_pickle_prefixes"] == [f"s3://{MODEL_BUCKET}/trusted/"]
    assert body["trigger_model_s3_uri"] == TRIGGER_MODEL_URI
    assert (body["batch_rows"], body["multipart_part_mb"], body["model_cache_size"]) == (40, 5, 2)
    assert isinstance(body["cached_models"], list)
    json.dumps(response)


@pytest.mark.parametrize(
    "event",
    [{"action": "keep_warm"}, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}],
    ids=["keep_warm", "eventbridge"],
)
def test_keep_warm_is_answered_cheaply(handler: ModuleType, context: LocalLambdaContext, event: dict[str, Any]) -> None:
    assert handler.lambda_handler(event, context) == {"status": "warm"}


def emitted_metrics(stdout: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found[metric["Name"]] = document[metric["Name"]]
    return found


def test_a_job_logs_its_summary_and_counts_rows_without_data_values(
    handler: ModuleType,
    context: LocalLambdaContext,
    s3: Any,
    trigger_model: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = put(s3, f"s3://{DATA_BUCKET}/{DATA_PREFIX}{unique('in.csv')}", encode(input_table(30), ".csv"))
    target = f"s3://{RESULTS_BUCKET}/{RESULTS_PREFIX}{unique('out.csv')}"
    capsys.readouterr()
    response = handler.lambda_handler(
        {"model_s3_uri": trigger_model, "data_s3_uri": source, "output_s3_uri": target}, context
    )
    assert response["statusCode"] == 200
    stdout = capsys.readouterr().out
    metrics = emitted_metrics(stdout)
    assert metrics["RowsPredicted"] == [30.0] and metrics["JobsCompleted"] == [1.0]
    assert metrics["OutputBytes"][0] > 0
    (summary,) = [record.__dict__ for record in caplog.records if record.getMessage() == "job done"]
    assert (summary["rows"], summary["bytes_read"], summary["output_s3_uri"]) == (30, len(get(s3, source)), target)
    assert summary["bytes_written"] == len(get(s3, target))
    ours = [record for record in caplog.records if record.name == "batch-predict"]  # not the S3 server's
    logged = " ".join(json.dumps(record.__dict__, default=str) for record in ours)
    assert "note 0" not in logged and "quoted" not in logged  # no data values in logs
    _, key = split(target)
    assert key in logged  # ...but where the output went, yes

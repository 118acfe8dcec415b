"""The handler by direct invoke: the callers' exact contract, health, keep-warm, every bad input."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from tests.support.handlers import fail_with, internal_error_body, logged_internal_error, swapped
from tests.support.metrics import emitted_metrics
from tools.local_lambda import LocalLambdaContext


class ModelSpy:
    """Stands in for the loaded model and records whether inference was asked for."""

    def __init__(self, real: Any) -> None:
        self.identity = real.identity
        self.calls: list[str] = []

    def predict(self, texts: Any) -> Any:
        self.calls.append("predict")
        raise AssertionError("inference must not run")

    def probabilities(self, texts: Any) -> Any:
        self.calls.append("probabilities")
        raise AssertionError("inference must not run")


@pytest.fixture
def model_spy(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModelSpy:
    return swapped(monkeypatch, handler, "MODEL", ModelSpy)


def test_prediction_has_the_callers_exact_shape(handler: ModuleType, context: LocalLambdaContext) -> None:
    response = handler.lambda_handler({"texts": ["I love this!", "This is terrible"]}, context)
    assert set(response) == {"statusCode", "body"}
    assert response["statusCode"] == 200
    body = response["body"]
    assert isinstance(body, dict) and set(body) == {"results", "count"}
    assert body["count"] == 2
    assert [set(result) for result in body["results"]] == [{"sentiment", "score"}] * 2
    assert [result["sentiment"] for result in body["results"]] == ["positive", "negative"]
    assert all(isinstance(r["score"], float) and 0.5 <= r["score"] <= 1.0 for r in body["results"])
    json.dumps(response)  # what Lambda will serialize


def test_results_follow_the_order_of_the_texts(handler: ModuleType, context: LocalLambdaContext) -> None:
    texts = ["This is terrible. " * 40, "I love this!", "", "Worst customer service ever.", "Great job!"]
    single = [handler.lambda_handler({"texts": [text]}, context)["body"]["results"][0] for text in texts]
    together = handler.lambda_handler({"texts": texts}, context)["body"]["results"]
    assert [r["sentiment"] for r in together] == [r["sentiment"] for r in single]
    # int8: a score may move slightly with its batch-mates (see test_inference), labels do not
    assert [r["score"] for r in together] == pytest.approx([r["score"] for r in single], abs=0.15)


def test_an_empty_list_gets_count_zero(handler: ModuleType, context: LocalLambdaContext) -> None:
    assert handler.lambda_handler({"texts": []}, context) == {"statusCode": 200, "body": {"results": [], "count": 0}}


def test_health_reports_the_models_identity_without_inference(
    handler: ModuleType, context: LocalLambdaContext, model_spy: ModelSpy, fixture_model_dir: Any
) -> None:
    metadata = json.loads((fixture_model_dir / "model.json").read_text())
    response = handler.lambda_handler({"action": "health"}, context)
    assert response["statusCode"] == 200
    body = response["body"]
    assert body["status"] == "ok"
    assert (body["function_name"], body["function_version"]) == ("sentiment-test", "3")
    assert body["model"] == {
        "model_id": metadata["model_id"],
        "quantization": metadata["quantization"],
        "sha256": metadata["sha256"],
        "max_length": metadata["max_length"],
        "labels": ["negative", "positive"],
    }
    assert body["model_source"] == str(fixture_model_dir)
    assert body["limits"] == {"max_texts": 256, "max_text_chars": 5000, "max_request_bytes": 5_000_000}
    assert body["intra_op_threads"] >= 1
    assert model_spy.calls == []


@pytest.mark.parametrize(
    "event",
    [
        {"action": "keep_warm"},
        {
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-24T04:00:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/sentiment-keep-warm"],
            "detail": {},
        },
    ],
    ids=["keep_warm_action", "eventbridge_schedule"],
)
def test_keep_warm_answers_without_inference(
    handler: ModuleType, context: LocalLambdaContext, model_spy: ModelSpy, event: dict[str, Any], capsys: Any
) -> None:
    assert handler.lambda_handler(event, context) == {"status": "warm"}
    assert model_spy.calls == []
    assert emitted_metrics(capsys.readouterr().out)["KeepWarmPings"]["value"] == [1.0]


BIG = "😀" * 4999  # 4999 characters, 19996 bytes of UTF-8


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        ({}, 400, "missing 'texts': send a JSON object such as {\"texts\": ["),
        ({"text": "I love this"}, 400, "missing 'texts'"),
        ({"texts": "I love this"}, 400, "'texts' must be an array of strings, got string"),
        ({"texts": None}, 400, "'texts' must be an array of strings, got null"),
        ({"texts": {"0": "a"}}, 400, "'texts' must be an array of strings, got object"),
        ({"texts": ["fine", "also fine", 42]}, 400, "texts[2] must be a string, got number"),
        ({"texts": ["fine", None]}, 400, "texts[1] must be a string, got null"),
        ({"texts": [["nested"]]}, 400, "texts[0] must be a string, got array"),
        ({"texts": ["x"] * 257}, 400, "'texts' has 257 items; the limit is 256 per request: split it"),
        ({"texts": ["ok", "x" * 5001]}, 400, "texts[1] is 5001 characters long; the limit is 5000"),
        ({"texts": [BIG] * 251}, 413, "bytes; the limit is 5000000 bytes: split 'texts' into smaller batches"),
        (["I love this"], 400, 'the event must be a JSON object such as {"texts"'),
        ("I love this", 400, 'the event must be a JSON object such as {"texts"'),
        ({"action": "predict_all"}, 400, "unknown action 'predict_all': use 'health' or 'keep_warm'"),
    ],
    ids=lambda value: None if isinstance(value, (dict, list, str)) else str(value),
)
def test_bad_input_gets_a_message_that_says_what_to_fix(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any, event: Any, status: int, message: str
) -> None:
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == status
    assert set(response["body"]) == {"error", "error_type"}
    assert message in response["body"]["error"]
    assert response["body"]["error_type"] == ("PayloadTooLarge" if status == 413 else "ValidationError")
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["ValidationErrors"]["value"] == [1.0]
    assert "InternalErrors" not in metrics


def test_the_largest_accepted_request_is_classified(handler: ModuleType, context: LocalLambdaContext) -> None:
    # 250 texts of 4999 four-byte characters: 5.0 MB of UTF-8, just under MAX_REQUEST_BYTES.
    response = handler.lambda_handler({"texts": [BIG] * 250}, context)
    assert response["statusCode"] == 200 and response["body"]["count"] == 250


def test_an_unexpected_fault_is_a_500_without_details_logged_and_counted(
    handler: ModuleType, context: LocalLambdaContext, monkeypatch: pytest.MonkeyPatch, capsys: Any, caplog: Any
) -> None:
    fail_with(monkeypatch, handler.MODEL, "predict", RuntimeError("onnxruntime blew up at /var/task/secret/path"))
    response = handler.lambda_handler({"texts": ["I love this!"]}, context)
    assert response == {"statusCode": 500, "body": internal_error_body(context)}
    metric = emitted_metrics(capsys.readouterr().out)["InternalErrors"]
    assert metric == {
        "value": [1.0],
        "unit": "Count",
        "namespace": "MlInference",
        "dimensions": {"service": "sentiment"},
    }
    assert "onnxruntime blew up" in str(logged_internal_error(caplog))  # the details go to the logs only


def test_a_classification_counts_its_texts(handler: ModuleType, context: LocalLambdaContext, capsys: Any) -> None:
    handler.lambda_handler({"texts": ["a", "b", "c"]}, context)
    metric = emitted_metrics(capsys.readouterr().out)["TextsClassified"]
    assert metric["value"] == [3.0] and metric["dimensions"] == {"service": "sentiment"}

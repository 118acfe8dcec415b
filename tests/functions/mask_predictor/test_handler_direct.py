"""Direct invoke payloads: single, batch, health, keep-warm, and unexpected failures."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from mask_predictor.scheme import LABELS
from tools.local_lambda import LocalLambdaContext

LoadEvent = Callable[[str], dict[str, Any]]


class NoInference:
    """Stands in for the predictor where no inference may run; records any attempt."""

    def __init__(self, identity: dict[str, Any]) -> None:
        self.identity = identity
        self.calls: list[str] = []

    def predict(self, name: str) -> dict[str, Any]:
        self.calls.append(name)
        raise AssertionError("inference ran")

    def predict_many(self, names: list[str]) -> list[dict[str, Any]]:
        self.calls.extend(names)
        raise AssertionError("inference ran")


def test_single_name_returns_the_result_itself(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    result = handler.lambda_handler(load_event("direct_single.json"), context)

    assert "statusCode" not in result
    assert result["mask_name"] == "3M Aura 9205+ N95"
    assert result["tokens"] == ["3M", "Aura", "9205+", "N95"]
    assert result["breakdown"] == [{"3M": "brand"}, {"Aura": "model"}, {"9205+": "model"}, {"N95": "filter_type"}]
    assert list(result["components"]) == list(LABELS)
    assert result["components"]["brand"] == ["3M"]
    assert result["components"]["model"] == ["Aura", "9205+"]
    assert result["components"]["filter_type"] == ["N95"]
    assert 0.0 <= result["confidence"] <= 1.0
    json.dumps(result)  # what Lambda will serialise


def test_batch_returns_results_in_request_order_with_count(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    event = load_event("direct_batch.json")
    names = event["mask_names"]

    answer = handler.lambda_handler(event, context)

    assert answer["count"] == len(names) == 3
    assert [result["mask_name"] for result in answer["results"]] == names
    assert answer["results"][0]["components"]["valved"] == ["Cool", "Flow", "Valve"]
    assert answer["results"][1]["components"]["strap"] == ["Headstraps"]


def test_batch_order_is_kept_for_many_and_repeated_names(handler: ModuleType, context: LocalLambdaContext) -> None:
    names = [f"Moldex {2200 + index} N95" for index in range(50)] + ["3M 8210 N95", "3M 8210 N95"]
    reversed_names = list(reversed(names))

    forward = handler.lambda_handler({"mask_names": names}, context)["results"]
    backward = handler.lambda_handler({"mask_names": reversed_names}, context)["results"]

    assert [r["mask_name"] for r in forward] == names
    assert [r["mask_name"] for r in backward] == reversed_names
    assert forward == list(reversed(backward)), "a name's result does not depend on its position"


def test_empty_batch_gets_empty_results(
    handler: ModuleType, context: LocalLambdaContext, emf_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    assert handler.lambda_handler({"mask_names": []}, context) == {"results": [], "count": 0}
    (record,) = emf_lines()
    assert record["NamesPredicted"] == 0 and record["ValidationErrors"] == 0


def test_health_reports_function_and_model_identity(
    handler: ModuleType, load_event: LoadEvent, context: LocalLambdaContext
) -> None:
    health = handler.lambda_handler(load_event("direct_health.json"), context)

    assert health["status"] == "ok"
    assert health["function_name"] == "mask-predictor-test"
    assert health["function_version"] == "7"
    model = health["model"]
    assert model["model_name"] == "mask-crf"
    assert len(model["sha256"]) == 64
    assert set(model) >= {"sha256", "feature_version", "c1", "c2", "held_out_token_accuracy"}


def test_health_without_context_falls_back_to_lambda_environment(handler: ModuleType) -> None:
    health = handler.lambda_handler({"action": "health"}, None)

    assert health["function_name"] == "mask-predictor-test"  # AWS_LAMBDA_FUNCTION_NAME
    assert health["function_version"] == "$LATEST"


@pytest.mark.parametrize("event_file", ["direct_keep_warm.json", "eventbridge_scheduled.json"])
def test_keep_warm_answers_without_running_inference(
    handler: ModuleType,
    load_event: LoadEvent,
    context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    emf_lines: Callable[[], list[dict[str, Any]]],
    event_file: str,
) -> None:
    spy = NoInference(handler.PREDICTOR.identity)
    monkeypatch.setattr(handler, "PREDICTOR", spy)

    assert handler.lambda_handler(load_event(event_file), context) == {"status": "warm"}
    assert spy.calls == []
    (record,) = emf_lines()
    assert record["NamesPredicted"] == 0 and record["InternalErrors"] == 0


def test_unexpected_exception_is_a_500_without_details(
    handler: ModuleType,
    context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    emf_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    def broken(name: str) -> dict[str, Any]:
        raise RuntimeError("tagger exploded in /var/task/mask_predictor/secret.py")

    monkeypatch.setattr(handler.PREDICTOR, "predict", broken)
    caplog.set_level(logging.INFO, logger="mask_predictor")

    answer = handler.lambda_handler({"mask_name": "3M Aura 9205+ N95"}, context)

    assert answer == {
        "statusCode": 500,
        "error": "internal error",
        "error_type": "InternalError",
        "request_id": context.aws_request_id,
    }
    text = json.dumps(answer)
    assert "Traceback" not in text and "exploded" not in text and "/var/task" not in text
    (logged,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert logged.exc_info is not None, "the traceback is logged for us, not sent to the caller"
    (record,) = emf_lines()
    assert record["InternalErrors"] == 1 and record["NamesPredicted"] == 0


def test_unexpected_exception_over_http_is_a_500_response(
    handler: ModuleType,
    load_event: LoadEvent,
    context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str) -> dict[str, Any]:
        raise MemoryError("details nobody outside should see")

    monkeypatch.setattr(handler.PREDICTOR, "predict", broken)

    response = handler.lambda_handler(load_event("function_url_post_root_single.json"), context)

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "error": "internal error",
        "error_type": "InternalError",
        "request_id": context.aws_request_id,
    }
    assert "details" not in response["body"]


def test_every_invocation_writes_one_emf_line_with_the_names_predicted(
    handler: ModuleType, context: LocalLambdaContext, emf_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    emf_lines()  # discard earlier output
    handler.lambda_handler({"mask_names": ["3M 8210 N95", "Moldex 2200 N95"]}, context)
    handler.lambda_handler({"mask_name": ""}, context)

    batch, rejected = emf_lines()
    assert (batch["NamesPredicted"], batch["ValidationErrors"]) == (2, 0)
    assert (rejected["NamesPredicted"], rejected["ValidationErrors"]) == (0, 1)
    assert batch["request_id"] == context.aws_request_id
    assert batch["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "MlInference"
    assert batch["service"] == "mask_predictor"

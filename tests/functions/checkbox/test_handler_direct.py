"""The handler invoked directly: hand-written proxy events (as little as
{"httpMethod": "GET", "path": "/health"}), keep-warm pings that never reach the model or the
resolver, and the committed sample events (usable with `make invoke FN=checkbox EVENT=...`)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from stacks.common.paths import REPO_ROOT
from tests.support.checkbox import DetectorSpy
from tests.support.events import json_body
from tests.support.metrics import emitted_metrics
from tools.local_lambda import LocalLambdaContext

EVENTS_DIR = REPO_ROOT / "events" / "checkbox"  # what `make invoke` sends, too


def _event(name: str) -> dict[str, Any]:
    if name == "apigw_get_unknown_path.json":  # a 404: not a `make invoke` sample (those answer 200, or 400 if bad_)
        return json.loads((EVENTS_DIR / "apigw_get_health.json").read_text().replace("/health", "/nope"))
    return json.loads((EVENTS_DIR / name).read_text())


def test_the_minimal_health_event_works(handler: ModuleType, context: LocalLambdaContext) -> None:
    response = handler.lambda_handler({"httpMethod": "GET", "path": "/health"}, context)
    assert response["statusCode"] == 200
    body = json_body(response)
    assert body["status"] == "ok" and body["model"]["class_names"] == ["checked", "unchecked"]


def test_the_minimal_event_is_not_modified(handler: ModuleType, context: LocalLambdaContext) -> None:
    event = {"httpMethod": "get", "path": "/health"}
    assert handler.lambda_handler(event, context)["statusCode"] == 200  # method case as API Gateway normalises it
    assert event == {"httpMethod": "get", "path": "/health"}


def test_a_minimal_predict_event_with_a_json_body(handler: ModuleType, context: LocalLambdaContext) -> None:
    sample = json.loads(_event("apigw_post_predict_json.json")["body"])
    event = {
        "httpMethod": "POST",
        "path": "/predict",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(sample),
    }
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 200, response["body"]
    assert json_body(response)["pages"][0]["width"] == 400


def test_a_minimal_event_without_a_route_is_404(handler: ModuleType, context: LocalLambdaContext) -> None:
    response = handler.lambda_handler({"httpMethod": "DELETE", "path": "/predict"}, context)
    assert response["statusCode"] == 404


def test_the_health_action_is_answered_like_get_health(handler: ModuleType, context: LocalLambdaContext) -> None:
    direct = json_body(handler.lambda_handler({"action": "health"}, context))
    via_api = json_body(handler.lambda_handler(_event("apigw_get_health.json"), context))
    assert direct == via_api


@pytest.mark.parametrize("name", ["keep_warm.json", "keep_warm_eventbridge_scheduled.json"])
def test_keep_warm_pings_skip_the_model_and_the_resolver(
    handler: ModuleType,
    context: LocalLambdaContext,
    detector_spy: DetectorSpy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    name: str,
) -> None:
    def no_resolver(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a keep-warm ping must not go through the resolver")

    monkeypatch.setattr(handler.app, "resolve", no_resolver)
    capsys.readouterr()
    assert handler.lambda_handler(_event(name), context) == {"status": "warm"}
    assert detector_spy.calls == 0
    assert emitted_metrics(capsys.readouterr().out)["KeepWarmPings"]["value"] == [1.0]


@pytest.mark.parametrize(
    "event",
    [
        {"texts": ["hello"]},
        {"action": "dance"},
        [],
        "GET /health",
        None,
        {"path": "/health"},
        {"httpMethod": 7, "path": "/"},
    ],
    ids=["other-payload", "unknown-action", "list", "string", "null", "no-method", "bad-method"],
)
def test_an_unrecognised_event_gets_a_400_proxy_response(
    handler: ModuleType, context: LocalLambdaContext, event: Any
) -> None:
    response = handler.lambda_handler(event, context)
    assert response["statusCode"] == 400
    assert response["headers"] == {"Content-Type": "application/json"}
    body = json.loads(response["body"])
    assert body["error_type"] == "ValidationError"
    assert '{"httpMethod": "GET", "path": "/health"}' in body["error"]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("apigw_get_health.json", 200),
        ("apigw_post_predict_json.json", 200),
        ("apigw_post_predict_multipart.json", 200),
        ("apigw_post_predict_image.json", 200),
        ("apigw_get_unknown_path.json", 404),
        ("health.json", 200),
    ],
)
def test_the_sample_events(handler: ModuleType, context: LocalLambdaContext, name: str, status: int) -> None:
    response = handler.lambda_handler(_event(name), context)
    assert response["statusCode"] == status, response["body"]
    if name.startswith("apigw_post"):
        body = json_body(response)
        assert (body["pages"][0]["width"], body["pages"][0]["height"]) == (400, 200)


def test_health_checks_are_counted_with_the_service_dimension(
    handler: ModuleType, context: LocalLambdaContext, capsys: Any
) -> None:
    capsys.readouterr()
    handler.lambda_handler({"httpMethod": "GET", "path": "/health"}, context)
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["HealthChecks"]["dimensions"] == {"service": "checkbox"}

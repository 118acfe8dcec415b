"""SentimentClient against the REAL sentiment handler (fixture model) behind a local Lambda Invoke API."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import botocore.endpoint
import pytest

from clients.errors import FunctionNotFoundError
from clients.lambda_invoke import SYNC_REQUEST_LIMIT_BYTES, encode_json
from clients.sentiment import (
    DEFAULT_MAX_REQUEST_BYTES,
    SOURCE_FALLBACK,
    SOURCE_LAMBDA,
    SentimentClient,
    SentimentClientConfig,
    SentimentFunctionError,
    SentimentRequestError,
)
from tests.support.client_servers import REGION, SENTIMENT_FUNCTION_NAME, lambda_client_at, lambda_client_for
from tests.support.lambda_invoke_server import LambdaInvokeServer, LocalLambdaContext
from training.sentiment.samples import FRAGMENTS_FILE, read_lines

MakeClient = Callable[..., SentimentClient]
LABELS = {"positive", "negative"}


@pytest.fixture(scope="module")
def fragments() -> list[str]:
    """Distinct review sentences, a word to a few lines long (the export's validation fragments)."""
    return list(dict.fromkeys(read_lines(FRAGMENTS_FILE)))


@pytest.fixture
def client(make_sentiment_client: MakeClient) -> SentimentClient:
    return make_sentiment_client()


@pytest.fixture
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore sleeps between attempts: record the delays instead of waiting them out."""
    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", delays.append)
    return delays


@pytest.fixture
def warnings_of_client(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    caplog.set_level(logging.WARNING, logger="clients.sentiment")
    yield lambda: [record for record in caplog.records if record.name == "clients.sentiment"]


def handler_answer(handler: Callable[[Any, Any], Any], texts: list[str]) -> list[dict[str, Any]]:
    """What the function itself answers for exactly these texts in one invocation."""
    response = handler({"texts": texts}, LocalLambdaContext.create(function_name=SENTIMENT_FUNCTION_NAME))
    assert response["statusCode"] == 200, response
    return json.loads(json.dumps(response["body"]["results"]))  # as it travels


def without_source(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in result.items() if key != "source"} for result in results]


def register_crashing(server: LambdaInvokeServer, name: str) -> None:
    def crashing_handler(event: Any, context: Any) -> Any:
        raise RuntimeError("model file is corrupt")

    server.register(name, crashing_handler)


# --- through the function ------------------------------------------------------------------


def test_analyse_answers_in_the_contract_shape_from_the_function(
    client: SentimentClient, sentiment_server: LambdaInvokeServer, warnings_of_client: Any
) -> None:
    results = client.analyse(["I love this!", "This is terrible"])

    assert [set(result) for result in results] == [{"sentiment", "score", "source"}] * 2
    assert all(result["sentiment"] in LABELS and 0.5 <= result["score"] <= 1.0 for result in results)
    assert {result["source"] for result in results} == {SOURCE_LAMBDA}
    [call] = sentiment_server.invocations
    assert (call.function_name, call.payload) == (
        SENTIMENT_FUNCTION_NAME,
        {"texts": ["I love this!", "This is terrible"]},
    )
    assert warnings_of_client() == []


def test_the_fixture_model_tells_clear_positives_from_clear_negatives(client: SentimentClient) -> None:
    results = client.analyse(["I love this!", "This is terrible"])

    assert [result["sentiment"] for result in results] == ["positive", "negative"]


def test_55_texts_make_two_invocations_within_the_limits_in_order(
    client: SentimentClient,
    sentiment_server: LambdaInvokeServer,
    sentiment_handler: Callable[[Any, Any], Any],
    fragments: list[str],
) -> None:
    texts = fragments[:55][::-1]

    results = client.analyse(texts)

    calls = sentiment_server.invocations
    assert [len(call.payload["texts"]) for call in calls] == [50, 5]
    assert [text for call in calls for text in call.payload["texts"]] == texts
    for call in calls:
        assert call.status_code == 200
        assert call.request_bytes == len(encode_json(call.payload))  # what the client budgets
        assert call.request_bytes <= min(DEFAULT_MAX_REQUEST_BYTES, SYNC_REQUEST_LIMIT_BYTES)
    # Each result is the function's own answer for that text, in the caller's order.
    expected = handler_answer(sentiment_handler, texts[:50]) + handler_answer(sentiment_handler, texts[50:])
    assert without_source(results) == expected
    assert {result["source"] for result in results} == {SOURCE_LAMBDA}


def test_requests_are_split_by_bytes_too(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer
) -> None:
    client = make_sentiment_client(max_request_bytes=20_000)
    texts = [f"{index} " + "é" * 3_000 for index in range(12)]  # about 6 KB each as UTF-8

    results = client.analyse(texts)

    calls = sentiment_server.invocations
    assert [len(call.payload["texts"]) for call in calls] == [3, 3, 3, 3]
    assert all(call.request_bytes <= 20_000 for call in calls)
    assert [text for call in calls for text in call.payload["texts"]] == texts
    assert len(results) == 12 and {result["source"] for result in results} == {SOURCE_LAMBDA}


def test_batch_size_is_configurable(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer, fragments: list[str]
) -> None:
    make_sentiment_client(batch_size=8).analyse(fragments[:20])

    assert [len(call.payload["texts"]) for call in sentiment_server.invocations] == [8, 8, 4]


def test_nothing_to_analyse_sends_nothing(client: SentimentClient, sentiment_server: LambdaInvokeServer) -> None:
    assert client.analyse([]) == []
    assert sentiment_server.invocations == []


def test_analyse_one(client: SentimentClient, sentiment_server: LambdaInvokeServer) -> None:
    result = client.analyse_one("I love it, it works perfectly.")

    assert result["sentiment"] in LABELS and result["source"] == SOURCE_LAMBDA
    assert sentiment_server.invocations[0].payload == {"texts": ["I love it, it works perfectly."]}


def test_health_check_reports_the_model(client: SentimentClient, sentiment_server: LambdaInvokeServer) -> None:
    health = client.health_check()

    assert health["status"] == "ok"
    assert health["model"]["quantization"] == "int8"
    assert len(health["model"]["sha256"]) == 64
    assert sentiment_server.invocations[0].payload == {"action": "health"}


# --- disabled ---------------------------------------------------------------------------------


def test_disabled_uses_the_fallback_without_calling_lambda_and_says_so_once(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer, warnings_of_client: Any
) -> None:
    client = make_sentiment_client(enabled=False)

    first = client.analyse(["I love this!", "This is terrible"])
    second = client.analyse_one("not good at all")

    assert sentiment_server.invocations == []
    assert [(result["sentiment"], result["source"]) for result in first] == [
        ("positive", SOURCE_FALLBACK),
        ("negative", SOURCE_FALLBACK),
    ]
    assert (second["sentiment"], second["source"]) == ("negative", SOURCE_FALLBACK)
    [warning] = warnings_of_client()
    assert "disabled" in warning.getMessage()
    assert warning.levelno == logging.WARNING


def test_a_disabled_client_creates_no_lambda_client() -> None:
    client = SentimentClient(SentimentClientConfig(enabled=False))

    assert client.enabled is False
    assert client.lambda_client is None
    with pytest.raises(RuntimeError, match="disabled"):
        client.health_check()


# --- failures fall back -------------------------------------------------------------------------


def test_a_missing_function_falls_back_with_one_warning_naming_it(
    make_sentiment_client: MakeClient,
    sentiment_server: LambdaInvokeServer,
    warnings_of_client: Any,
    fragments: list[str],
) -> None:
    client = make_sentiment_client(function_name="sentiment-nope", qualifier="live")
    texts = fragments[:60] * 2  # three invocations' worth

    results = client.analyse(texts)

    assert len(results) == 120 and {result["source"] for result in results} == {SOURCE_FALLBACK}
    assert [call.status_code for call in sentiment_server.invocations] == [404]  # not tried per batch
    [warning] = warnings_of_client()
    message = warning.getMessage()
    assert "sentiment-nope:live" in message and REGION in message and "not found" in message
    assert "120 of 120 texts" in message
    assert warning.error_type == "FunctionNotFoundError"


def test_every_failing_call_tries_the_function_again(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer, warnings_of_client: Any
) -> None:
    client = make_sentiment_client(function_name="sentiment-nope")

    client.analyse_one("good")
    client.analyse_one("bad")

    assert len(sentiment_server.invocations) == 2
    assert len(warnings_of_client()) == 2


def test_an_unhandled_error_falls_back(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer, warnings_of_client: Any
) -> None:
    register_crashing(sentiment_server, "sentiment-crashing")
    client = make_sentiment_client(function_name="sentiment-crashing")

    results = client.analyse(["I love this!", "This is terrible"])

    assert [(result["sentiment"], result["source"]) for result in results] == [
        ("positive", SOURCE_FALLBACK),
        ("negative", SOURCE_FALLBACK),
    ]
    [warning] = warnings_of_client()
    assert "RuntimeError: model file is corrupt" in warning.getMessage()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"statusCode": 500, "body": {"error": "internal error", "error_type": "InternalError"}},
            "InternalError: internal error",
        ),
        ({"statusCode": 200, "body": {"results": [], "count": 0}}, "InvalidResponse"),
        ({"statusCode": 200, "body": {"results": [{"sentiment": "positive"}], "count": 1}}, "InvalidResponse"),
        ({"results": []}, "InvalidResponse"),
    ],
)
def test_an_error_or_off_contract_answer_falls_back(
    make_sentiment_client: MakeClient,
    sentiment_server: LambdaInvokeServer,
    warnings_of_client: Any,
    answer: dict[str, Any],
    reason: str,
) -> None:
    sentiment_server.register("sentiment-odd", lambda event, context: answer)
    client = make_sentiment_client(function_name="sentiment-odd")

    [result] = client.analyse(["I love this!"])

    assert (result["sentiment"], result["source"]) == ("positive", SOURCE_FALLBACK)
    [warning] = warnings_of_client()
    assert reason in warning.getMessage()


def test_a_failure_midway_keeps_the_results_already_answered(
    make_sentiment_client: MakeClient,
    sentiment_server: LambdaInvokeServer,
    sentiment_handler: Callable[[Any, Any], Any],
    warnings_of_client: Any,
    fragments: list[str],
) -> None:
    calls: list[int] = []

    def fails_on_the_second_call(event: Any, context: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("out of memory")
        return sentiment_handler(event, context)

    sentiment_server.register("sentiment-flaky", fails_on_the_second_call)
    client = make_sentiment_client(function_name="sentiment-flaky")
    texts = fragments[:80] + fragments[:40]

    results = client.analyse(texts)

    assert [result["source"] for result in results] == [SOURCE_LAMBDA] * 50 + [SOURCE_FALLBACK] * 70
    assert without_source(results[:50]) == handler_answer(sentiment_handler, texts[:50])
    assert len(sentiment_server.invocations) == 2  # the third batch is not tried
    [warning] = warnings_of_client()
    assert "70 of 120 texts" in warning.getMessage()
    assert "1 of 3 invocations had succeeded" in warning.getMessage()


def test_throttled_twice_then_answered_by_the_function(
    client: SentimentClient,
    sentiment_server: LambdaInvokeServer,
    no_backoff_sleep: list[float],
    warnings_of_client: Any,
) -> None:
    sentiment_server.throttle_next(2)

    results = client.analyse(["I love this!", "This is terrible"])

    assert [call.status_code for call in sentiment_server.invocations] == [429, 429, 200]
    assert len(no_backoff_sleep) == 2 and all(delay >= 0 for delay in no_backoff_sleep)
    assert {result["source"] for result in results} == {SOURCE_LAMBDA}
    assert warnings_of_client() == []


def test_throttled_beyond_the_retries_falls_back(
    make_sentiment_client: MakeClient,
    sentiment_server: LambdaInvokeServer,
    no_backoff_sleep: list[float],
    warnings_of_client: Any,
) -> None:
    client = make_sentiment_client(lambda_client=lambda_client_for(sentiment_server, max_attempts=3))
    sentiment_server.throttle_next(10)

    results = client.analyse(["I love this!", "This is terrible"])

    assert [call.status_code for call in sentiment_server.invocations] == [429, 429, 429]
    assert {result["source"] for result in results} == {SOURCE_FALLBACK}
    [warning] = warnings_of_client()
    assert "throttled after 3 attempts (TooManyRequestsException" in warning.getMessage()


def test_an_unreachable_endpoint_falls_back(make_sentiment_client: MakeClient, warnings_of_client: Any) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lambda_client = lambda_client_at(f"http://127.0.0.1:{port}", max_attempts=1)
    client = make_sentiment_client(lambda_client=lambda_client)

    [result] = client.analyse(["I love this!"])

    assert result["source"] == SOURCE_FALLBACK
    [warning] = warnings_of_client()
    assert "EndpointConnectionError" in warning.getMessage()


# --- the caller's mistakes raise ---------------------------------------------------------------


def test_a_400_from_the_function_raises_and_is_not_hidden_by_the_fallback(
    client: SentimentClient,
    sentiment_server: LambdaInvokeServer,
    warnings_of_client: Any,
    fragments: list[str],
) -> None:
    texts = fragments[:52] + ["x" * 5_001]  # over the function's MAX_TEXT_CHARS, in the 2nd invocation

    with pytest.raises(SentimentRequestError) as raised:
        client.analyse(texts)

    answer = json.loads(sentiment_server.invocations[-1].response_body)
    assert raised.value.status_code == answer["statusCode"] == 400
    assert raised.value.error_type == answer["body"]["error_type"] == "ValidationError"
    assert raised.value.message == answer["body"]["error"]
    assert "texts[2] is 5001 characters long" in str(raised.value)
    assert raised.value.batch_start == 50
    assert "invocation starting at texts[50]" in str(raised.value)
    assert warnings_of_client() == []


@pytest.mark.parametrize("enabled", [True, False])
def test_a_non_string_text_raises_before_anything_is_sent(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer, enabled: bool
) -> None:
    client = make_sentiment_client(enabled=enabled)

    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        client.analyse(["fine", 42])

    assert sentiment_server.invocations == []


def test_a_single_string_is_not_taken_for_a_list_of_texts(client: SentimentClient) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        client.analyse("I love this!")


def test_health_check_raises_what_analyse_would_fall_back_on(make_sentiment_client: MakeClient) -> None:
    with pytest.raises(FunctionNotFoundError, match="sentiment-nope"):
        make_sentiment_client(function_name="sentiment-nope").health_check()


def test_health_check_of_a_crashing_function_is_a_function_error(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer
) -> None:
    register_crashing(sentiment_server, "sentiment-crashing")

    with pytest.raises(SentimentFunctionError, match="RuntimeError: model file is corrupt"):
        make_sentiment_client(function_name="sentiment-crashing").health_check()


# --- construction -------------------------------------------------------------------------------


def test_the_default_lambda_client_retries_throttles_and_times_out() -> None:
    client = SentimentClient(
        SentimentClientConfig(enabled=True, function_name=SENTIMENT_FUNCTION_NAME, region_name="eu-west-1")
    )
    config = client.lambda_client.meta.config

    assert client.lambda_client.meta.region_name == "eu-west-1"
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (config.connect_timeout, config.read_timeout) == (5.0, 65.0)


def test_a_region_that_contradicts_the_given_lambda_client_is_refused(sentiment_lambda_client: Any) -> None:
    config = SentimentClientConfig(enabled=True, function_name=SENTIMENT_FUNCTION_NAME, region_name="eu-west-1")

    with pytest.raises(ValueError, match="differs"):
        SentimentClient(config, lambda_client=sentiment_lambda_client)


def test_a_custom_fallback_is_used_and_its_results_are_reshaped(
    make_sentiment_client: MakeClient, sentiment_server: LambdaInvokeServer
) -> None:
    class Always:
        def analyse(self, texts: list[str]) -> list[dict[str, Any]]:
            return [{"sentiment": "negative", "score": 0.75, "extra": 1} for _ in texts]

    client = make_sentiment_client(enabled=False, fallback=Always(), logger=logging.getLogger("backend"))

    assert client.analyse(["great"]) == [{"sentiment": "negative", "score": 0.75, "source": SOURCE_FALLBACK}]

"""MaskPredictorClient against the real handler behind a local Lambda Invoke API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.endpoint
import pytest

from clients.errors import FunctionNotFoundError
from clients.lambda_invoke import SYNC_RESPONSE_LIMIT_BYTES
from clients.mask_predictor import (
    DEFAULT_MAX_BATCH_NAMES,
    DEFAULT_MAX_REQUEST_BYTES,
    MaskPredictorClient,
    MaskPredictorFunctionError,
    MaskPredictorRequestError,
)
from tests.support.client_servers import MASK_FUNCTION_NAME, REGION
from tests.support.lambda_invoke_server import LambdaInvokeServer

LABELS = ("brand", "model", "filter_type", "size", "color", "style", "strap", "valved", "misc")
MakeClient = Callable[..., MaskPredictorClient]


def sent_names(server: LambdaInvokeServer) -> list[list[str]]:
    """The mask_names of every batch invocation the server received, in order."""
    return [call.payload["mask_names"] for call in server.invocations]


def test_predict_returns_the_contract_shape(client: MaskPredictorClient) -> None:
    result = client.predict("3M Aura 9205+ N95")

    assert result["mask_name"] == "3M Aura 9205+ N95"
    assert result["tokens"] == ["3M", "Aura", "9205+", "N95"]
    assert [next(iter(entry)) for entry in result["breakdown"]] == result["tokens"]
    assert set(result["components"]) == set(LABELS)
    assert 0.0 <= result["confidence"] <= 1.0


def test_predict_gives_what_the_handler_gives(
    client: MaskPredictorClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    name = real_mask_names[0]

    result = client.predict(name)

    [call] = server.invocations
    assert call.function_name == MASK_FUNCTION_NAME
    assert call.payload == {"mask_name": name}
    assert result["mask_name"] == name


def test_predict_batch_keeps_order_and_agrees_with_predict(
    client: MaskPredictorClient, real_mask_names: list[str]
) -> None:
    names = real_mask_names[:25][::-1]

    results = client.predict_batch(names)

    assert [result["mask_name"] for result in results] == names
    assert results == [client.predict(name) for name in names]


def test_predict_batch_of_nothing_sends_nothing(client: MaskPredictorClient, server: LambdaInvokeServer) -> None:
    assert client.predict_batch([]) == []
    assert server.invocations == []


def test_predict_batch_splits_by_the_function_batch_limit(
    client: MaskPredictorClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    names = [f"{real_mask_names[i % len(real_mask_names)]} {i}-Pack" for i in range(2_500)]

    results = client.predict_batch(names)

    assert [len(batch) for batch in sent_names(server)] == [1_000, 1_000, 500]
    assert [name for batch in sent_names(server) for name in batch] == names
    assert [result["mask_name"] for result in results] == names


def test_predict_batch_respects_a_smaller_configured_batch_limit(
    make_client: MakeClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    client = make_client(max_batch_names=7)

    client.predict_batch(real_mask_names[:20])

    assert [len(batch) for batch in sent_names(server)] == [7, 7, 6]


@pytest.mark.parametrize(
    "long_part",
    [
        pytest.param("Ä" * 195, id="request-bytes-bind"),  # 2-byte UTF-8 characters
        pytest.param(" ".join("Ä" * 97), id="response-estimate-binds"),  # ~100 tokens per name
    ],
)
def test_predict_batch_splits_by_bytes_and_no_request_or_response_exceeds_a_limit(
    client: MaskPredictorClient, server: LambdaInvokeServer, long_part: str
) -> None:
    # 1,000 distinct names of up to 200 characters: far more bytes per name than real names,
    # so a byte limit binds before the 1,000-name limit does.
    names = [f"{i:04d} {long_part}" for i in range(1_000)]

    results = client.predict_batch(names)

    assert len(server.invocations) > 1
    assert all(call.status_code == 200 for call in server.invocations)
    assert max(call.request_bytes for call in server.invocations) <= DEFAULT_MAX_REQUEST_BYTES
    assert max(call.response_bytes for call in server.invocations) <= SYNC_RESPONSE_LIMIT_BYTES
    assert max(len(batch) for batch in sent_names(server)) <= DEFAULT_MAX_BATCH_NAMES
    assert [result["mask_name"] for result in results] == names


def test_repeated_names_are_sent_once_and_each_position_gets_its_own_result(
    client: MaskPredictorClient, server: LambdaInvokeServer
) -> None:
    names = ["3M 8210 N95", "Moldex 2200 N95", "3M 8210 N95"]

    results = client.predict_batch(names)

    assert sent_names(server) == [["3M 8210 N95", "Moldex 2200 N95"]]
    assert results[0] == results[2]
    assert results[0] is not results[2]


def test_with_the_cache_on_a_second_call_sends_nothing(
    make_client: MakeClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    client = make_client(cache_size=100)
    names = real_mask_names[:10]
    first = client.predict_batch(names)
    server.clear_invocations()

    again = client.predict_batch(names)
    single = client.predict(names[3])

    assert server.invocations == []
    assert again == first
    assert single == first[3]


def test_with_the_cache_on_only_uncached_names_are_sent(
    make_client: MakeClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    client = make_client(cache_size=100)
    client.predict(real_mask_names[0])
    server.clear_invocations()

    client.predict_batch(real_mask_names[:3] + real_mask_names[1:3])

    assert sent_names(server) == [real_mask_names[1:3]]


def test_cached_results_cannot_be_changed_by_the_caller(make_client: MakeClient) -> None:
    client = make_client(cache_size=10)
    first = client.predict("3M 8210 N95")
    first["components"]["brand"].append("tampered")

    assert "tampered" not in client.predict("3M 8210 N95")["components"]["brand"]


def test_the_cache_keeps_only_the_most_recently_used_names(
    make_client: MakeClient, server: LambdaInvokeServer, real_mask_names: list[str]
) -> None:
    client = make_client(cache_size=2)
    a, b, c = real_mask_names[:3]
    client.predict_batch([a, b, c])  # only b and c remain
    server.clear_invocations()

    client.predict_batch([a, b, c])

    assert sent_names(server) == [[a]]


def test_health_check_reports_the_model_identity(client: MaskPredictorClient, server: LambdaInvokeServer) -> None:
    health = client.health_check()

    assert health["status"] == "ok"
    assert health["function_name"] == MASK_FUNCTION_NAME
    assert isinstance(health["model"]["sha256"], str) and len(health["model"]["sha256"]) == 64
    assert server.invocations[0].payload == {"action": "health"}


def test_a_missing_function_names_the_function_and_the_region(make_client: MakeClient) -> None:
    client = make_client(function_name="mask-predictor-nope", qualifier="live")

    with pytest.raises(FunctionNotFoundError) as raised:
        client.predict("3M 8210 N95")

    message = str(raised.value)
    assert "mask-predictor-nope:live" in message
    assert REGION in message
    assert (raised.value.function_name, raised.value.region_name) == ("mask-predictor-nope", REGION)


def test_a_validation_error_surfaces_the_function_message(
    client: MaskPredictorClient, server: LambdaInvokeServer
) -> None:
    with pytest.raises(MaskPredictorRequestError) as raised:
        client.predict("x" * 201)  # over MAX_NAME_CHARS

    answer = json.loads(server.invocations[0].response_body)
    assert raised.value.status_code == answer["statusCode"] == 400
    assert raised.value.error_type == answer["error_type"] == "ValidationError"
    assert raised.value.message == answer["error"]
    assert answer["error"] in str(raised.value)


def test_a_rejected_batch_says_which_names_were_in_the_rejected_request(
    client: MaskPredictorClient,
) -> None:
    names = ["3M 8210 N95", "x" * 10_000]

    with pytest.raises(MaskPredictorRequestError) as raised:
        client.predict_batch(names)

    assert raised.value.mask_names == tuple(names)


def test_an_unhandled_exception_in_the_function_is_a_function_error(
    make_client: MakeClient, server: LambdaInvokeServer
) -> None:
    def crashing_handler(event: Any, context: Any) -> Any:
        raise RuntimeError("model file is corrupt")

    server.register("mask-predictor-crashing", crashing_handler)
    client = make_client(function_name="mask-predictor-crashing")

    with pytest.raises(MaskPredictorFunctionError) as raised:
        client.predict("3M 8210 N95")

    assert raised.value.error_type == "RuntimeError"
    assert raised.value.message == "model file is corrupt"


def test_an_internal_error_answer_is_a_function_error(make_client: MakeClient, server: LambdaInvokeServer) -> None:
    server.register(
        "mask-predictor-failing",
        lambda event, context: {
            "statusCode": 500,
            "error": "internal error",
            "error_type": "InternalError",
        },
    )
    client = make_client(function_name="mask-predictor-failing")

    with pytest.raises(MaskPredictorFunctionError, match="InternalError: internal error"):
        client.predict_batch(["3M 8210 N95"])


def test_a_batch_answer_with_the_wrong_number_of_results_is_a_function_error(
    make_client: MakeClient, server: LambdaInvokeServer
) -> None:
    server.register("mask-predictor-short", lambda event, context: {"results": [], "count": 0})
    client = make_client(function_name="mask-predictor-short")

    with pytest.raises(MaskPredictorFunctionError, match="expected 2 results"):
        client.predict_batch(["a", "b"])


def test_throttled_twice_then_succeeds(
    client: MaskPredictorClient, server: LambdaInvokeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backoff_delays: list[float] = []
    # botocore sleeps between attempts; record the backoff instead of waiting it out.
    monkeypatch.setattr(botocore.endpoint.time, "sleep", backoff_delays.append)
    server.throttle_next(2)

    result = client.predict("3M 8210 N95")

    assert result["mask_name"] == "3M 8210 N95"
    assert [call.status_code for call in server.invocations] == [429, 429, 200]
    assert len(backoff_delays) == 2


def test_a_single_string_is_not_taken_for_a_batch(client: MaskPredictorClient) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        client.predict_batch("3M 8210 N95")


def test_results_survive_a_json_round_trip_unchanged(client: MaskPredictorClient) -> None:
    # What callers cache (e.g. in Redis, keyed by model sha256 and name) must come back equal.
    result = client.predict("Honeywell H910 Plus (Black, Medium)")

    assert json.loads(json.dumps(result)) == result


def test_the_default_lambda_client_retries_throttles_and_times_out() -> None:
    client = MaskPredictorClient(function_name=MASK_FUNCTION_NAME, region_name="eu-west-1")
    config = client.lambda_client.meta.config

    assert client.region_name == "eu-west-1"
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (config.connect_timeout, config.read_timeout) == (5.0, 65.0)


def test_a_region_that_contradicts_the_given_lambda_client_is_refused(lambda_client: Any) -> None:
    with pytest.raises(ValueError, match="differs"):
        MaskPredictorClient(function_name=MASK_FUNCTION_NAME, lambda_client=lambda_client, region_name="eu-west-1")


def test_results_of_invocations_before_a_failing_one_stay_cached(
    make_client: MakeClient, server: LambdaInvokeServer
) -> None:
    client = make_client(cache_size=10, max_batch_names=1)
    with pytest.raises(MaskPredictorRequestError):
        client.predict_batch(["3M 8210 N95", "x" * 201])
    server.clear_invocations()

    client.predict_batch(["3M 8210 N95"])

    assert server.invocations == []

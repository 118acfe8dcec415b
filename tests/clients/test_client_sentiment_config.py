"""SentimentClientConfig from the environment, and how texts are split into invocations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients.lambda_invoke import SYNC_REQUEST_LIMIT_BYTES, encode_json
from clients.sentiment import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_REQUEST_BYTES,
    SentimentClientConfig,
    plan_text_batches,
)


def test_an_empty_environment_means_disabled() -> None:
    config = SentimentClientConfig.from_environ({})

    assert config == SentimentClientConfig(enabled=False)
    assert (config.batch_size, config.max_request_bytes) == (DEFAULT_BATCH_SIZE, DEFAULT_MAX_REQUEST_BYTES)


def test_a_function_name_alone_switches_it_on() -> None:
    config = SentimentClientConfig.from_environ({"SENTIMENT_FUNCTION_NAME": "sentiment-prod"})

    assert config.enabled is True
    assert config.function_name == "sentiment-prod"
    assert config.region_name is None  # boto3's default chain decides


def test_every_variable_is_read() -> None:
    config = SentimentClientConfig.from_environ(
        {
            "SENTIMENT_FUNCTION_ENABLED": "Yes",
            "SENTIMENT_FUNCTION_NAME": " sentiment-prod ",
            "SENTIMENT_FUNCTION_REGION": "eu-west-1",
            "SENTIMENT_FUNCTION_QUALIFIER": "live",
            "SENTIMENT_BATCH_SIZE": "25",
            "SENTIMENT_MAX_REQUEST_BYTES": "1000000",
        }
    )

    assert config == SentimentClientConfig(
        enabled=True,
        function_name="sentiment-prod",
        region_name="eu-west-1",
        qualifier="live",
        batch_size=25,
        max_request_bytes=1_000_000,
    )


@pytest.mark.parametrize("value", ["false", "0", "off", "NO"])
def test_it_can_be_switched_off_with_a_name_set(value: str) -> None:
    config = SentimentClientConfig.from_environ(
        {"SENTIMENT_FUNCTION_ENABLED": value, "SENTIMENT_FUNCTION_NAME": "sentiment-prod"}
    )

    assert config.enabled is False
    assert config.function_name == "sentiment-prod"


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"SENTIMENT_FUNCTION_ENABLED": "true"}, "SENTIMENT_FUNCTION_NAME"),
        ({"SENTIMENT_FUNCTION_ENABLED": "maybe", "SENTIMENT_FUNCTION_NAME": "f"}, "SENTIMENT_FUNCTION_ENABLED"),
        ({"SENTIMENT_FUNCTION_NAME": "f", "SENTIMENT_BATCH_SIZE": "fifty"}, "SENTIMENT_BATCH_SIZE"),
        ({"SENTIMENT_FUNCTION_NAME": "f", "SENTIMENT_BATCH_SIZE": "0"}, "batch_size"),
        ({"SENTIMENT_FUNCTION_NAME": "f", "SENTIMENT_MAX_REQUEST_BYTES": "7000000"}, "6291456"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_by_name(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SentimentClientConfig.from_environ(environ)


def test_the_config_is_frozen() -> None:
    config = SentimentClientConfig(enabled=False)

    with pytest.raises(AttributeError):
        config.enabled = True


def test_50_texts_per_invocation_by_default() -> None:
    texts = [f"text {index}" for index in range(120)]

    batches = plan_text_batches(texts, max_texts=DEFAULT_BATCH_SIZE, max_request_bytes=DEFAULT_MAX_REQUEST_BYTES)

    assert [(start, len(batch)) for start, batch in batches] == [(0, 50), (50, 50), (100, 20)]


def test_a_text_over_the_byte_limit_alone_is_sent_alone() -> None:
    texts = ["short", "x" * 500, "short"]

    batches = plan_text_batches(texts, max_texts=50, max_request_bytes=100)

    assert [batch for _, batch in batches] == [["short"], ["x" * 500], ["short"]]


def test_the_byte_limit_is_exact() -> None:
    texts = ["ab", "cd", "ef"]
    two = len(encode_json({"texts": texts[:2]}))

    assert [batch for _, batch in plan_text_batches(texts, max_texts=50, max_request_bytes=two)] == [
        ["ab", "cd"],
        ["ef"],
    ]
    assert len(plan_text_batches(texts, max_texts=50, max_request_bytes=two + 5)) == 1  # '"ef"' and a comma


@given(
    texts=st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60), max_size=80),
    max_texts=st.integers(min_value=1, max_value=20),
    max_request_bytes=st.integers(min_value=12, max_value=600),
)
def test_batches_keep_order_and_respect_both_limits(texts: list[str], max_texts: int, max_request_bytes: int) -> None:
    batches = plan_text_batches(texts, max_texts=max_texts, max_request_bytes=max_request_bytes)

    assert [text for _, batch in batches for text in batch] == texts
    assert [start for start, _ in batches] == [sum(len(b) for _, b in batches[:i]) for i in range(len(batches))]
    for _, batch in batches:
        assert 1 <= len(batch) <= max_texts
        size = len(encode_json({"texts": batch}))
        assert size <= max_request_bytes or len(batch) == 1
        assert size <= SYNC_REQUEST_LIMIT_BYTES or len(batch) == 1

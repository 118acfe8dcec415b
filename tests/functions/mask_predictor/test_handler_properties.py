"""Property: any text sent as a name gets a 400 or a well-formed result, never an exception."""

from __future__ import annotations

import json
from collections import Counter
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mask_predictor.scheme import LABELS, tokenize
from tests.support.mask_predictor import mask_context

# Printable text plus the separators the tokenizer cares about, long enough to cross the
# 200-character limit sometimes.
names = st.one_of(
    st.text(max_size=260),
    st.text(alphabet=st.sampled_from(list("3M N95 (),/+-.\t\nDräger™ KF94 x")), max_size=60),
)


def assert_well_formed(result: dict[str, Any], name: str) -> None:
    assert result["mask_name"] == name
    tokens = tokenize(name)
    assert result["tokens"] == tokens
    assert [next(iter(pair)) for pair in result["breakdown"]] == tokens
    assert all(len(pair) == 1 and next(iter(pair.values())) in LABELS for pair in result["breakdown"])
    assert list(result["components"]) == list(LABELS)
    assert Counter(t for group in result["components"].values() for t in group) == Counter(tokens)
    assert 0.0 <= result["confidence"] <= 1.0
    assert len(result["token_confidences"]) == len(tokens)
    assert all(0.0 <= value <= 1.0 for value in result["token_confidences"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names)
def test_any_text_directly(handler: ModuleType, name: str) -> None:
    answer = handler.lambda_handler({"mask_name": name}, mask_context())

    if "statusCode" in answer:
        assert answer["statusCode"] == 400, answer
        assert answer["error_type"] == "ValidationError"
        assert "mask_name" in answer["error"]
        assert not tokenize(name) or len(name) > handler.CONFIG.max_name_chars
    else:
        assert_well_formed(answer, name)
        json.dumps(answer)


@settings(max_examples=100, deadline=None)
@given(batch=st.lists(names, max_size=5))
def test_any_batch_over_http(handler: ModuleType, batch: list[str]) -> None:
    event = {
        "version": "2.0",
        "rawPath": "/predict",
        "requestContext": {"http": {"method": "POST", "path": "/predict"}},
        "isBase64Encoded": False,
        "body": json.dumps({"mask_names": batch}),
    }

    response = handler.lambda_handler(event, mask_context())

    body = json.loads(response["body"])
    if response["statusCode"] == 400:
        assert body["error_type"] == "ValidationError" and "mask_names[" in body["error"]
    else:
        assert response["statusCode"] == 200, body
        assert body["count"] == len(batch)
        for result, name in zip(body["results"], batch, strict=False):
            assert_well_formed(result, name)

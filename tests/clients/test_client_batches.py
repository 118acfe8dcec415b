"""Chunk planning (pure) and the response-size bound checked against the real function."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clients.lambda_invoke import encode_json
from clients.mask_batches import (
    REQUEST_ENVELOPE_BYTES,
    RESPONSE_ENVELOPE_BYTES,
    estimate_result_bytes,
    plan_batches,
    request_name_bytes,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

UNLIMITED = 10**12


def plan(names: list[str], **limits: int) -> list[list[str]]:
    arguments = {
        "max_names": UNLIMITED,
        "max_request_bytes": UNLIMITED,
        "max_response_bytes": UNLIMITED,
    }
    return plan_batches(names, **(arguments | limits))


def test_nothing_to_send_plans_no_batch() -> None:
    assert plan([]) == []


def test_batches_keep_every_name_in_order() -> None:
    names = [f"name {i}" for i in range(10)]

    batches = plan(names, max_names=3)

    assert batches == [names[0:3], names[3:6], names[6:9], names[9:10]]


def test_the_request_bound_is_exact() -> None:
    names = ["aaaa", "bbbb", "cccc"]
    two_names = len(encode_json({"mask_names": names[:2]}))

    assert plan(names, max_request_bytes=two_names + 1) == [names[:2], names[2:]]
    assert REQUEST_ENVELOPE_BYTES + sum(request_name_bytes(name) for name in names[:2]) == two_names + 1


def test_the_response_bound_splits_even_when_requests_are_small() -> None:
    names = ["3M 8210 N95"] * 5
    per_name = estimate_result_bytes(names[0])

    batches = plan(names, max_response_bytes=RESPONSE_ENVELOPE_BYTES + 2 * per_name)

    assert [len(batch) for batch in batches] == [2, 2, 1]


def test_a_name_too_big_for_any_batch_is_sent_alone() -> None:
    names = ["small", "x" * 1_000, "small too"]

    assert plan(names, max_request_bytes=100) == [["small"], ["x" * 1_000], ["small too"]]


def test_non_ascii_names_are_budgeted_by_their_utf8_bytes() -> None:
    assert request_name_bytes("Dräger") == len('"Dräger",'.encode())


ADVERSARIAL_NAMES = [
    "3M Aura 9205+ N95",
    "a",
    " ".join("a" * 100),  # the most tokens 199 characters can hold
    " ".join("Ä" * 100),  # ... each escaped to 6 bytes by an ASCII-only encoder
    ",".join("€" * 100),
    "(S) " * 50,
    "Dräger X-plore 1750 FFP2 (Black, Medium) w/ Headstraps & Exhalation Valve",
    "🙂 " * 66,  # astral characters: 12 bytes escaped, 4 in UTF-8
    '"quoted\\" \t tab',
]


@pytest.mark.parametrize("mask_name", ADVERSARIAL_NAMES)
def test_the_estimate_bounds_the_real_answer_in_either_encoding(
    mask_name: str, mask_handler: Callable[[Any, Any], Any]
) -> None:
    context = LocalLambdaContext.create(function_name="estimate")
    answer = mask_handler({"mask_names": [mask_name, mask_name]}, context)
    assert "results" in answer, answer

    for ensure_ascii in (True, False):
        one_result = len(json.dumps(answer["results"][0], ensure_ascii=ensure_ascii).encode("utf-8"))
        assert one_result + len(", ") <= estimate_result_bytes(mask_name)
        whole = len(json.dumps(answer, ensure_ascii=ensure_ascii).encode("utf-8"))
        assert whole <= RESPONSE_ENVELOPE_BYTES + 2 * estimate_result_bytes(mask_name)

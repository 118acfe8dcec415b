"""Event kinds every function recognises the same way."""

from __future__ import annotations

import pytest

from lambda_common.errors import ValidationError
from lambda_common.events import HEALTH, KEEP_WARM, PREDICT, direct_action, is_function_url_event, is_scheduled_event

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"requestContext": {"http": {"method": "GET"}}}, True),
        ({"requestContext": {"httpMethod": "GET"}}, False),  # a REST API (payload 1.0) event
        ({"requestContext": "x"}, False),
        ({}, False),
        ([], False),
        (None, False),
    ],
)
def test_function_url_events(event: object, expected: bool) -> None:
    assert is_function_url_event(event) is expected


def test_scheduled_events() -> None:
    assert is_scheduled_event(SCHEDULED)
    assert not is_scheduled_event({"source": "aws.events", "detail-type": "Object Created"})
    assert not is_scheduled_event({"action": "keep_warm"})


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"action": "health"}, HEALTH),
        ({"action": "keep_warm"}, KEEP_WARM),
        (SCHEDULED, KEEP_WARM),
        ({"texts": ["good"]}, PREDICT),
        ({}, PREDICT),
    ],
)
def test_direct_actions(event: dict, kind: str) -> None:
    assert direct_action(event, predict_hint="unused") == kind


def test_an_unknown_action_names_the_known_ones_and_the_functions_hint() -> None:
    with pytest.raises(ValidationError) as raised:
        direct_action({"action": "x" * 80}, predict_hint="'texts' without 'action' to classify")
    assert raised.value.message == (
        f"unknown action {'x' * 50!r}: use 'health' or 'keep_warm', or send 'texts' without 'action' to classify"
    )

"""The one decoding of untrusted JSON every function uses (lambda_common.json_input), and the
checks of HTTP event shapes a direct invoke may hand-write (lambda_common.events)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_common.errors import ValidationError
from lambda_common.events import check_function_url_event, check_rest_proxy_event
from lambda_common.json_input import MAX_DEPTH, check_decoded, encoded_size, loads, nesting_depth


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "the request body is empty: send a JSON object such as {}"),
        (b" \n\t", "is empty"),
        (None, "is empty"),
        (b"[" * 5000 + b"]" * 5000, f"nested too deeply: more than {MAX_DEPTH} levels"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
        (b'"\xff"', "not valid JSON: it is not UTF-8 text (byte 0xff at offset 1)"),
        (b'"\xed\xa0\x80"', "not UTF-8 text"),
        (b'["\\ud800"]', "[0] of the request body holds an unpaired surrogate"),
        (b'{"\\udc00": 1}', "a key with an unpaired surrogate"),
        (b"1e999999", "holds the number 1e999999, out of range"),
        (b"[-1e400]", "out of range"),
        (b"1" * 100_000, "holds a number of 100000 digits"),
        (b"1" + b"0" * 400, "holds a number of 401 digits"),
        (b"NaN", "holds NaN, which is not a JSON number"),
        (b'{"x": [Infinity]}', "holds Infinity"),
        (b"-Infinity", "holds -Infinity"),
        (b'{"texts": 1, "texts": 2}', "has the key 'texts' more than once in one object"),
        (b'{"texts": [', "not valid JSON: Expecting value at line 1 column 12"),
        (b"{} {}", "not valid JSON: Extra data"),
        (b"texts=a", "not valid JSON"),
    ],
)
def test_hostile_bodies_are_a_validation_error_naming_the_problem(body: bytes | None, needle: str) -> None:
    with pytest.raises(ValidationError) as raised:
        loads(body, example="{}")
    assert needle in raised.value.message
    assert raised.value.status_code == 400


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"texts": ["a", "b"]}', {"texts": ["a", "b"]}),
        ('{"mask_name": "Dräger X-plore"}', {"mask_name": "Dräger X-plore"}),  # text in, as the event's body
        (b"\xef\xbb\xbf{}", {}),  # a UTF-8 byte order mark
        (b'["[[[[[[[[", "{{{{"]', ["[[[[[[[[", "{{{{"]),  # brackets inside strings do not nest
        (b'["\\ud83d\\ude00"]', ["\U0001f600"]),  # a surrogate pair is one character
        (
            b"[1.7976931348623157e308, -5e-324, 123456789012345678901234567890]",
            [1.7976931348623157e308, -5e-324, 123456789012345678901234567890],
        ),
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
    ],
)
def test_good_json_decodes_as_the_standard_library_does(body: bytes | str, expected: Any) -> None:
    assert loads(body) == expected


def test_one_level_past_the_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="nested too deeply"):
        loads(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    with pytest.raises(ValidationError, match="more than 3 levels"):
        loads(b'{"a": [[[1]]]}', max_depth=3)


def test_the_field_name_is_the_callers_wording() -> None:
    with pytest.raises(ValidationError, match=r"^s3://b/k.jsonl: the first line is not valid JSON"):
        loads(b"{", what="s3://b/k.jsonl: the first line")


@pytest.mark.parametrize(
    ("data", "depth"),
    [(b"1", 0), (b"[]", 1), (b'[{"a": [1]}]', 3), (b'["]]]]", [[]]]', 3), (b'["\\"[[[["]', 1), (b"[" * 1000, 1000)],
)
def test_nesting_depth_counts_brackets_outside_strings(data: bytes, depth: int) -> None:
    assert nesting_depth(data) == depth


@settings(max_examples=200, derandomize=True, database=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=30,
    )
)
def test_any_finite_json_value_round_trips(value: Any) -> None:
    data = json.dumps(value).encode()
    try:
        decoded = loads(data)
    except ValidationError as error:  # only for text holding unpaired surrogates
        assert "surrogate" in error.message
        return
    assert decoded == value
    assert nesting_depth(data) <= 31


@settings(max_examples=300, derandomize=True, database=None)
@given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_any_bytes_decode_or_are_a_validation_error(data: bytes) -> None:
    try:
        loads(data)
    except ValidationError as error:
        assert error.message


# -- values decoded by someone else (direct invokes) -------------------------------------------


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ({"texts": [float("nan")]}, "texts[0] of the event is NaN, which JSON cannot carry"),
        ({"a": {"b": float("-inf")}}, "a.b of the event is -Infinity"),
        ({"texts": ["ok", "\udfff"]}, "texts[1] of the event holds an unpaired surrogate"),
        ({"\ud800": 1}, "a key with an unpaired surrogate"),
        ({"n": 10**400}, "n of the event is out of range"),
        ({"weird key": [float("inf")]}, "['weird key'][0] of the event is Infinity"),
    ],
)
def test_decoded_events_with_values_json_cannot_carry_are_refused(event: Any, needle: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check_decoded(event)
    assert needle in raised.value.message


def test_a_decoded_event_nested_past_pythons_recursion_limit_is_refused_without_recursion() -> None:
    event: Any = "leaf"
    for _ in range(100_000):  # json.dumps of this would raise RecursionError
        event = {"a": [event]}
    with pytest.raises(ValidationError, match="the event is nested too deeply"):
        check_decoded(event)


def test_a_checked_event_is_measured_as_compact_utf8_json() -> None:
    event = {"mask_names": ["Dräger X-plore 1720 V FFP2"] * 3, "n": [1, 2.5, None, True]}
    check_decoded(event)
    assert encoded_size(event) == len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


# -- HTTP event shapes -------------------------------------------------------------------------


def _url_event(**changes: Any) -> dict[str, Any]:
    event = {
        "rawPath": "/predict",
        "headers": {"content-type": "application/json"},
        "body": "{}",
        "isBase64Encoded": False,
        "requestContext": {"stage": "$default", "http": {"method": "POST", "path": "/predict"}},
    }
    return {**event, **changes}


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"body": 5}, "'body' must be a string, got number"),
        ({"headers": ["a"]}, "'headers' must be an object of strings (or null), got array"),
        ({"headers": {"content-type": None}}, "the value of 'content-type' is null"),
        ({"isBase64Encoded": "yes"}, "'isBase64Encoded' must be true or false, got string"),
        ({"cookies": [1]}, "'cookies' must be an array of strings"),
        (
            {"requestContext": {"http": {"method": 1, "path": "/"}}},
            "requestContext.http.method must be a string, got number",
        ),
    ],
)
def test_function_url_events_with_wrong_types_are_refused(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check_function_url_event(_url_event(**changes))
    assert needle in raised.value.message and raised.value.message.startswith("malformed Function URL event")


def test_the_resolver_needs_stage_and_raw_path_which_a_minimal_event_may_leave_out() -> None:
    minimal = {"requestContext": {"http": {"method": "POST", "path": "/predict"}}}
    check_function_url_event(minimal)
    check_function_url_event(_url_event(), for_resolver=True)
    with pytest.raises(ValidationError, match="requestContext.stage must be a string"):
        check_function_url_event(minimal, for_resolver=True)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"requestContext": "x"}, "'requestContext' must be an object, got string"),
        ({"multiValueHeaders": {"a": "b"}}, "'multiValueHeaders' must be an object of arrays of strings"),
        ({"queryStringParameters": {"conf": 0.2}}, "the value of 'conf' is number"),
        ({"body": {"image": "x"}}, "'body' must be a string, got object"),
        ({"isBase64Encoded": 1}, "'isBase64Encoded' must be true or false"),
    ],
)
def test_rest_proxy_events_with_wrong_types_are_refused(changes: dict[str, Any], needle: str) -> None:
    event = {"httpMethod": "GET", "path": "/health", "headers": None, "body": None, **changes}
    with pytest.raises(ValidationError) as raised:
        check_rest_proxy_event(event)
    assert needle in raised.value.message


def test_a_minimal_rest_event_is_accepted() -> None:
    check_rest_proxy_event({"httpMethod": "GET", "path": "/health"})

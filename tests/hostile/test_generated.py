"""Generated hostile input: hypothesis, derandomized (the same examples every run) and bounded
(MAX_EXAMPLES per test), drives arbitrary JSON values, near-JSON bytes and mutated known-good
requests through every function's HTTP route and the Invoke API of the running server."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support import hostile_inputs as corpus
from tests.support.hostile_client import HostileClient

MAX_EXAMPLES = 60
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=MAX_EXAMPLES,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure prints its example, the tier stays bounded
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
API_KEY = {"x-api-key": "hostile-local-key"}
ROUTES = {
    "mask_predictor": ("/predict", "mask_name", {}),
    "sentiment": ("/", "texts", {}),
    "checkbox": ("/predict", "image", API_KEY),
}
GOOD = {
    "mask_predictor": {"mask_names": ["3M Aura 9205+ N95"]},
    "sentiment": corpus.GOOD_SENTIMENT,
    "checkbox": {
        "httpMethod": "POST",
        "path": "/predict",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"image": "aGVsbG8=", "conf": 0.5}),
    },
    "batch_predict": {
        "model_s3_uri": "s3://models/m.skops",
        "data_s3_uri": "s3://data/in.csv",
        "output_s3_uri": "s3://results/out.csv",
        "feature_columns": ["f1"],
    },
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**330)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "\ud800", "\x00", "s3://", "s3://a/b", "health", "keep_warm", "plan_job", "NaN"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "mask_name",
        "mask_names",
        "texts",
        "image",
        "conf",
        "iou",
        "action",
        "httpMethod",
        "path",
        "body",
        "headers",
        "isBase64Encoded",
        "Records",
        "Items",
        "BatchInput",
        "model_s3_uri",
        "data_s3_uri",
        "output_s3_uri",
        "feature_columns",
        "job",
    ]
)
requests_like = st.dictionaries(keys, json_values, min_size=1, max_size=4)


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")  # NaN, Infinity, lone surrogates as Python writes them


@st.composite
def near_json(draw: st.DrawFn, good: Any) -> bytes:
    """A known-good body cut, spliced or sprinkled with bytes."""
    data = bytearray(encoded(good))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "insert", "replace"]))
        noise = draw(
            st.binary(min_size=1, max_size=8) | st.sampled_from([b"[" * 70, b"{", b'"', b"\\", b"\xff", b"1e999"])
        )
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = noise
        else:
            data[at : at + len(noise)] = noise
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn, good: Any) -> Any:
    """A known-good request with one place (at any level) replaced by an arbitrary value."""
    places = list(corpus.paths(good))
    path = draw(st.sampled_from(places))
    return corpus.replaced(good, path, draw(json_values))


def bodies(function: str) -> st.SearchStrategy[bytes]:
    field = ROUTES.get(function, ("", "texts", {}))[1]
    return st.one_of(
        json_values.map(encoded),
        requests_like.map(encoded),
        st.dictionaries(st.just(field), json_values, min_size=1).map(encoded),
        near_json(GOOD[function] if function != "checkbox" else {"image": "aGVsbG8=", "conf": 0.5}),
        st.binary(max_size=64),
    )


def _check(outcome: Any) -> None:
    assert outcome.problem() is None, outcome.problem()


def _http_test(function: str) -> Any:
    route, _, headers = ROUTES[function]

    @SETTINGS
    @given(
        body=bodies(function),
        content_type=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]),
    )
    def test(client: HostileClient, prefixes: dict[str, str], body: bytes, content_type: str) -> None:
        _check(
            client.http(
                function,
                "POST",
                prefixes[function] + route,
                body=body,
                headers={"Content-Type": content_type, **headers},
            )
        )

    return test


def _invoke_test(function: str) -> Any:
    @SETTINGS
    @given(payload=st.one_of(bodies(function), mutated(GOOD[function]).map(encoded), requests_like.map(encoded)))
    def test(client: HostileClient, payload: bytes) -> None:
        _check(client.invoke(function, payload))

    return test


test_mask_predictor_http = _http_test("mask_predictor")
test_sentiment_http = _http_test("sentiment")
test_checkbox_http = _http_test("checkbox")
test_mask_predictor_invoke = _invoke_test("mask_predictor")
test_sentiment_invoke = _invoke_test("sentiment")
test_checkbox_invoke = _invoke_test("checkbox")
test_batch_predict_invoke = _invoke_test("batch_predict")


@SETTINGS
@given(
    event=st.one_of(
        st.builds(
            lambda records: {"Records": records},
            st.lists(
                st.fixed_dictionaries(
                    {
                        "eventSource": st.just("aws:s3"),
                        "eventName": st.sampled_from(["ObjectCreated:Put", "ObjectRemoved:Delete"]),
                    },
                    optional={"s3": json_values},
                ),
                max_size=3,
            ),
        ),
        st.builds(lambda job: {"action": "plan_job", "job": job}, json_values | requests_like),
        st.builds(lambda items, batch: {"Items": items, "BatchInput": batch}, json_values, json_values | requests_like),
    )
)
def test_batch_predict_pipeline_events(client: HostileClient, event: Any) -> None:
    entry = "invoke:s3" if "Records" in event else "invoke:sfn"
    _check(client.invoke("batch_predict", encoded(event), entry=entry))

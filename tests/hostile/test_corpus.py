"""The fixed hostile corpus against the running local server: every case of
tests/support/hostile_inputs.py through every entry of every function. Each answer must be a
2xx, or a 4xx whose body says what to fix: never a 5xx, an Unhandled function error, a hang
(60 s per request) or a dropped connection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_common.json_input import nesting_depth
from tests.support import hostile_inputs as corpus
from tests.support.hostile_client import HostileClient, Tally

API_KEY = {"x-api-key": "hostile-local-key"}
JSON = {"Content-Type": "application/json"}
# function -> (its HTTP predict route, its JSON field, a known-good body)
HTTP_JSON = {
    "mask_predictor": ("/predict", "mask_name", corpus.GOOD_MASK, {}),
    "sentiment": ("/", "texts", corpus.GOOD_SENTIMENT, {}),
    "checkbox": ("/predict", "image", {"image": corpus.b64(corpus.image_bytes("PNG"))}, API_KEY),
}
INVOKE_FIELDS = {
    "mask_predictor": ("mask_names", {"mask_names": ["3M Aura 9205+ N95"]}),
    "sentiment": ("texts", corpus.GOOD_SENTIMENT),
    "checkbox": ("httpMethod", {"httpMethod": "GET", "path": "/health"}),
    "batch_predict": ("feature_columns", {"feature_columns": ["f1"]}),
}
# Deeper than Python's recursion limit: the local server's Invoke API (tools/local_serve)
# cannot decode these itself; they are test_payloads_nested_past_pythons_limit's business.
PYTHON_DEPTH = 900


def _check(outcome: Any) -> None:
    assert outcome.problem() is None, outcome.problem()


def _json_cases() -> list[tuple[str, str, bytes]]:
    return [
        (function, case, body)
        for function, (_, field, good, _) in HTTP_JSON.items()
        for case, body in corpus.json_bodies(field, good)
    ]


def _invoke_cases() -> list[tuple[str, str, bytes]]:
    return [
        (function, case, body)
        for function, (field, good) in INVOKE_FIELDS.items()
        for case, body in corpus.json_bodies(field, good)
        if nesting_depth(body) <= PYTHON_DEPTH
    ]


JSON_CASES = _json_cases()
INVOKE_CASES = _invoke_cases()


@pytest.mark.parametrize(("function", "case", "body"), JSON_CASES, ids=[f"{f}-{c}" for f, c, _ in JSON_CASES])
def test_json_bodies_over_http(
    client: HostileClient, prefixes: dict[str, str], function: str, case: str, body: bytes
) -> None:
    route, _, _, headers = HTTP_JSON[function]
    _check(client.http(function, "POST", prefixes[function] + route, body=body, headers={**JSON, **headers}))


@pytest.mark.parametrize(("function", "case", "body"), INVOKE_CASES, ids=[f"{f}-{c}" for f, c, _ in INVOKE_CASES])
def test_json_payloads_through_the_invoke_api(client: HostileClient, function: str, case: str, body: bytes) -> None:
    _check(client.invoke(function, body))


@pytest.mark.parametrize("function", list(INVOKE_FIELDS))
def test_payloads_nested_past_pythons_limit(client: HostileClient, names: dict[str, str], function: str) -> None:
    aside = HostileClient(http_base=client.http_base, lambda_client=client.lambda_client, names=names, tally=Tally())
    _check(aside.invoke(function, corpus.deep_array()))


CONTENT_TYPES = [
    None,
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "image/png",
    "application/json; charset=latin-1",
    "a/b/c",
    "",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("function", list(HTTP_JSON))
def test_wrong_and_missing_content_types(
    client: HostileClient, prefixes: dict[str, str], function: str, content_type: str | None
) -> None:
    route, _, good, headers = HTTP_JSON[function]
    headers = {**headers, **({"Content-Type": content_type} if content_type is not None else {})}
    _check(client.http(function, "POST", prefixes[function] + route, body=json.dumps(good).encode(), headers=headers))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/predict"),
        ("DELETE", "/"),
        ("POST", "/health"),
        ("GET", "/../etc"),
        ("GET", "/%ff%fe"),
        ("PUT", "/predict?x=%00"),
        ("GET", "/" + "a" * 5000),
    ],
)
@pytest.mark.parametrize("function", list(HTTP_JSON))
def test_unknown_routes_and_methods(
    client: HostileClient, prefixes: dict[str, str], function: str, method: str, path: str
) -> None:
    _check(client.http(function, method, prefixes[function] + path, headers=dict(HTTP_JSON[function][3])))


# -- the checkbox detector's images and forms --------------------------------------------------

IMAGES = corpus.images()


@pytest.mark.parametrize(("case", "image"), IMAGES, ids=[case for case, _ in IMAGES])
def test_hostile_images_as_the_body(client: HostileClient, prefixes: dict[str, str], case: str, image: bytes) -> None:
    _check(
        client.http(
            "checkbox",
            "POST",
            prefixes["checkbox"] + "/predict",
            body=image,
            headers={"Content-Type": "image/png", **API_KEY},
        )
    )


@pytest.mark.parametrize(("case", "image"), IMAGES[:8], ids=[case for case, _ in IMAGES[:8]])
def test_hostile_images_in_json_and_multipart(
    client: HostileClient, prefixes: dict[str, str], case: str, image: bytes
) -> None:
    url = prefixes["checkbox"] + "/predict"
    form = corpus.multipart([("file", image, "scan.png")])
    _check(
        client.http(
            "checkbox", "POST", url, body=json.dumps({"image": corpus.b64(image)}).encode(), headers={**JSON, **API_KEY}
        )
    )
    _check(
        client.http(
            "checkbox",
            "POST",
            url,
            body=form,
            headers={"Content-Type": f"multipart/form-data; boundary={corpus.BOUNDARY}", **API_KEY},
        )
    )


MULTIPART = corpus.multipart_cases(corpus.image_bytes("PNG"))


@pytest.mark.parametrize(("case", "body", "content_type"), MULTIPART, ids=[case for case, _, _ in MULTIPART])
def test_hostile_multipart_forms(
    client: HostileClient, prefixes: dict[str, str], case: str, body: bytes, content_type: str
) -> None:
    _check(
        client.http(
            "checkbox",
            "POST",
            prefixes["checkbox"] + "/predict",
            body=body,
            headers={"Content-Type": content_type, **API_KEY},
        )
    )


@pytest.mark.parametrize("value", ["not base64!", "data:image/png,abc", "data:;base64,", "====", "A", "\u00e9\u00e9"])
def test_json_images_that_are_not_base64(client: HostileClient, prefixes: dict[str, str], value: str) -> None:
    _check(
        client.http(
            "checkbox",
            "POST",
            prefixes["checkbox"] + "/predict",
            body=json.dumps({"image": value}).encode(),
            headers={**JSON, **API_KEY},
        )
    )


# -- HTTP events sent by direct invoke, wrong at every level -----------------------------------


def function_url_event(body: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "localhost"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "hostile",
            "domainName": "localhost",
            "domainPrefix": "hostile",
            "http": {
                "method": "POST",
                "path": "/predict",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "hostile",
            },
            "requestId": "hostile-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def rest_event(
    method: str, path: str, body: str | None, *, content_type: str = "application/json", base64_encoded: bool = False
) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": content_type, "x-api-key": "k"},
        "multiValueHeaders": {"Content-Type": [content_type], "x-api-key": ["k"]},
        "queryStringParameters": {"conf": "0.3"},
        "multiValueQueryStringParameters": {"conf": ["0.3"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "stage": "v1",
            "requestId": "hostile-request",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "hostile"},
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def _http_events() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for function, good in (("mask_predictor", corpus.GOOD_MASK), ("sentiment", corpus.GOOD_SENTIMENT)):
        event = function_url_event(json.dumps(good))
        cases += [(function, f"url-{case}", mutated) for case, mutated in corpus.every_level(event)]
        cases += [
            (function, "url-invalid-base64", function_url_event("%%%not base64%%%", base64_encoded=True)),
            (function, "url-base64-of-garbage", function_url_event(corpus.b64(b"\xff\xfe\x00"), base64_encoded=True)),
            (function, "url-base64-of-deep", function_url_event(corpus.b64(corpus.deep_array()), base64_encoded=True)),
            (function, "url-deep-body", function_url_event(corpus.deep_array().decode())),
        ]
    health = rest_event("GET", "/health", None)
    predict = rest_event("POST", "/predict", json.dumps({"image": corpus.b64(corpus.image_bytes("PNG", (16, 16)))}))
    cases += [("checkbox", f"rest-health-{case}", mutated) for case, mutated in corpus.every_level(health)]
    cases += [
        ("checkbox", f"rest-predict-{case}", mutated) for case, mutated in corpus.every_level(predict, limit_paths=8)
    ]
    cases += [
        (
            "checkbox",
            "rest-invalid-base64",
            rest_event("POST", "/predict", "%%%", content_type="image/png", base64_encoded=True),
        ),
        (
            "checkbox",
            "rest-base64-of-deep",
            rest_event("POST", "/predict", corpus.b64(corpus.deep_array()), base64_encoded=True),
        ),
        ("checkbox", "rest-deep-body", rest_event("POST", "/predict", corpus.deep_array().decode())),
        ("checkbox", "rest-text-image", rest_event("POST", "/predict", "\x89PNG garbage", content_type="image/png")),
    ]
    return cases


HTTP_EVENTS = _http_events()


@pytest.mark.parametrize(("function", "case", "event"), HTTP_EVENTS, ids=[f"{f}-{c}" for f, c, _ in HTTP_EVENTS])
def test_http_events_by_direct_invoke(client: HostileClient, function: str, case: str, event: Any) -> None:
    _check(client.invoke(function, event))


# -- direct events and the batch predictor's pipelines, wrong at every level --------------------


def _direct_events() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for function, good in (
        ("mask_predictor", corpus.GOOD_MASK),
        ("mask_predictor", {"mask_names": ["3M Aura 9205+ N95", "Moldex 2300"]}),
        ("sentiment", corpus.GOOD_SENTIMENT),
        ("checkbox", {"action": "health"}),
        ("mask_predictor", {"action": "health"}),
        ("sentiment", {"action": "keep_warm"}),
    ):
        cases += [(function, f"{next(iter(good))}-{case}", mutated) for case, mutated in corpus.every_level(good)]
    return cases


DIRECT_EVENTS = _direct_events()


@pytest.mark.parametrize(("function", "case", "event"), DIRECT_EVENTS, ids=[f"{f}-{c}" for f, c, _ in DIRECT_EVENTS])
def test_direct_events_wrong_at_every_level(client: HostileClient, function: str, case: str, event: Any) -> None:
    _check(client.invoke(function, event))


def test_batch_direct_jobs_wrong_at_every_level(client: HostileClient, batch_example: dict[str, Any]) -> None:
    job = {
        **batch_example,
        "output_s3_uri": batch_example["output_s3_uri"].replace(".csv", "-hostile.csv"),
        "overwrite": True,
    }
    extra = [
        ("surrogate-uri", {**job, "data_s3_uri": "s3://bucket/\ud800.csv"}),
        ("long-uri", {**job, "data_s3_uri": "s3://bucket/" + "k" * 5000}),
        ("nan-flag", {**job, "include_probabilities": float("nan")}),
        ("missing-object", {**job, "data_s3_uri": job["data_s3_uri"] + ".missing"}),
        ("many-columns", {**job, "feature_columns": [f"c{i}" for i in range(5000)]}),
        ("deep-columns", {**job, "feature_columns": corpus._nested(900)}),
    ]
    for _, event in corpus.every_level(job) + extra:
        _check(client.invoke("batch_predict", event))


def _pipeline_events(example: dict[str, Any]) -> list[tuple[str, Any]]:
    data_bucket, _, data_key = example["data_s3_uri"].removeprefix("s3://").partition("/")
    results_bucket = example["output_s3_uri"].removeprefix("s3://").split("/", 1)[0]
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "awsRegion": "us-east-1",
        "s3": {"bucket": {"name": data_bucket}, "object": {"key": data_key, "size": 10}},
    }
    notification = {"Records": [record]}
    plan = {
        "action": "plan_job",
        "job": {
            "model_s3_uri": example["model_s3_uri"],
            "data_s3_uri": example["data_s3_uri"],
            "output_s3_prefix": f"s3://{results_bucket}/hostile/plan/",
        },
    }
    batch_input = {
        "item_kind": "csv_rows",
        "model_s3_uri": example["model_s3_uri"],
        "output_s3_prefix": f"s3://{results_bucket}/hostile/map/",
        "output_format": "csv",
        "feature_columns": example.get("feature_columns"),
        "prediction_column_name": "p",
        "data_bucket": data_bucket,
        "data_prefix": "",
    }
    row = {name: "1.5" for name in example.get("feature_columns") or ["f1"]}
    map_batch = {"Items": [row, dict(row)], "BatchInput": batch_input}
    cases = [(f"s3-{case}", event) for case, event in corpus.every_level(notification)]
    cases += [(f"plan-{case}", event) for case, event in corpus.every_level(plan)]
    cases += [(f"map-{case}", event) for case, event in corpus.every_level(map_batch)]
    cases += [
        (
            "s3-encoded-key",
            {"Records": [{**record, "s3": {"bucket": {"name": data_bucket}, "object": {"key": "%ff%fe%00"}}}]},
        ),
        ("s3-empty-records", {"Records": []}),
        ("s3-foreign-record", {"Records": [{"eventSource": "aws:s3"}, {"eventSource": "aws:sqs"}]}),
        ("map-nan-row", {**map_batch, "Items": [{name: "NaN" for name in row}]}),
        ("map-nested-row", {**map_batch, "Items": [{name: {"a": [1, 2]} for name in row}]}),
        ("map-objects-kind", {**map_batch, "BatchInput": {**batch_input, "item_kind": "s3_objects"}}),
    ]
    return cases


def test_batch_pipeline_events_wrong_at_every_level(client: HostileClient, batch_example: dict[str, Any]) -> None:
    for case, event in _pipeline_events(batch_example):
        entry = "invoke:s3" if case.startswith("s3-") else "invoke:sfn"
        _check(client.invoke("batch_predict", event, entry=entry))


# -- Lambda's own limits -----------------------------------------------------------------------


def test_payloads_over_6_mb_are_refused_by_lambda(client: HostileClient, prefixes: dict[str, str]) -> None:
    big = json.dumps({"texts": ["x" * (6 * 1024 * 1024)]}).encode()
    for function in ("mask_predictor", "sentiment", "checkbox", "batch_predict"):
        outcome = client.invoke(function, big)
        assert outcome.status == 413, outcome.detail
    outcome = client.http("sentiment", "POST", prefixes["sentiment"] + "/", body=big, headers=JSON)
    assert outcome.status == 413, outcome.detail

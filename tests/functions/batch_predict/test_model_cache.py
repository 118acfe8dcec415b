"""Models are cached across warm invocations by (URI, ETag): the same object is downloaded once,
a replaced object is reloaded, the cache holds MODEL_CACHE_SIZE models; the trust policy is
applied before anything is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from sklearn.linear_model import LogisticRegression

from tests.support.batch_predict import (
    TRUSTED_PREFIX,
    data_uri,
    decode,
    encode,
    get,
    input_table,
    joblib_bytes,
    model_uri,
    named_features,
    output_uri,
    put,
    skops_bytes,
    split,
    training_table,
    unique,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

Requests = list[tuple[str, str]]  # (operation, key)


@pytest.fixture
def s3_requests(handler: ModuleType) -> Iterator[Requests]:
    """(operation, key) of every request the function's S3 client makes during the test."""
    seen: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params.get("Key", "")))

    handler.S3.meta.events.register("before-parameter-build.s3", record)
    yield seen
    handler.S3.meta.events.unregister("before-parameter-build.s3", record)


@pytest.fixture(scope="module")
def source(s3: Any) -> str:
    return put(s3, data_uri("in.csv"), encode(input_table(30), ".csv"))


def run(handler: ModuleType, context: LocalLambdaContext, model: str, data: str) -> dict[str, Any]:
    target = output_uri("out.parquet")
    response = handler.lambda_handler({"model_s3_uri": model, "data_s3_uri": data, "output_s3_uri": target}, context)
    assert response["statusCode"] == 200, response
    return response


def flipped_classifier() -> LogisticRegression:
    """A different model over the same features: its predictions differ from `classifier`'s."""
    table, labels, _ = training_table()
    return LogisticRegression(max_iter=500).fit(table, labels[::-1])


def test_a_second_call_with_the_same_etag_does_not_download_again(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str, s3_requests: Requests
) -> None:
    model = put(s3, model_uri("cached.skops"), skops_bytes(classifier))
    _, key = split(model)
    first = run(handler, context, model, source)
    first_requests = [operation for operation, seen in s3_requests if seen == key]
    s3_requests.clear()
    second = run(handler, context, model, source)
    assert first["body"]["model"] == second["body"]["model"]
    assert first_requests.count("GetObject") == 1
    assert [operation for operation, seen in s3_requests if seen == key] == ["HeadObject"]  # only the ETag


def test_a_replaced_model_is_reloaded(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str
) -> None:
    model = put(s3, model_uri("replaced.skops"), skops_bytes(classifier))
    before = run(handler, context, model, source)["body"]["model"]["etag"]
    downloads = handler.MODELS.downloads
    replacement = flipped_classifier()
    put(s3, model, skops_bytes(replacement))
    response = run(handler, context, model, source)
    assert response["body"]["model"]["etag"] != before
    assert handler.MODELS.downloads == downloads + 1
    output = decode(get(s3, response["body"]["output_s3_uri"]), ".parquet")
    expected = replacement.predict(named_features(input_table(30)))
    assert output["prediction"].to_pylist() == expected.tolist()
    assert expected.tolist() != classifier.predict(named_features(input_table(30))).tolist()
    assert [identity.s3_uri for identity in handler.MODELS.cached()].count(model) == 1  # the old version is gone


def test_the_cache_keeps_model_cache_size_models_least_recently_used_out(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str
) -> None:
    models = [put(s3, model_uri(f"m{index}.skops"), skops_bytes(classifier)) for index in range(3)]
    for model in models:
        run(handler, context, model, source)
    assert [identity.s3_uri for identity in handler.MODELS.cached()] == models[1:]  # MODEL_CACHE_SIZE=2
    run(handler, context, models[1], source)  # a hit: now the most recently used
    assert [identity.s3_uri for identity in handler.MODELS.cached()] == [models[2], models[1]]
    health = handler.lambda_handler({"action": "health"}, context)["body"]
    assert [entry["s3_uri"] for entry in health["cached_models"]] == [models[2], models[1]]


def test_an_untrusted_pickle_is_refused_before_anything_is_fetched(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str, s3_requests: Requests
) -> None:
    model = put(s3, model_uri("model.joblib"), joblib_bytes(classifier))
    response = handler.lambda_handler(
        {"model_s3_uri": model, "data_s3_uri": source, "output_s3_uri": output_uri("out.csv")}, context
    )
    assert response["statusCode"] == 400 and "TRUSTED_PICKLE_PREFIXES" in response["body"]["error"]
    _, key = split(model)
    assert [operation for operation, seen in s3_requests if seen == key] == []


@pytest.mark.parametrize("extension", [".pkl", ".pickle", ".joblib"])
def test_pickles_from_a_trusted_prefix_load(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str, extension: str
) -> None:
    model = put(s3, f"{TRUSTED_PREFIX}{unique('model' + extension)}", joblib_bytes(classifier))
    response = run(handler, context, model, source)
    assert response["body"]["model"]["format"] == ("joblib" if extension == ".joblib" else "pickle")
    output = decode(get(s3, response["body"]["output_s3_uri"]), ".parquet")
    np.testing.assert_array_equal(
        output["prediction"].to_numpy(zero_copy_only=False), classifier.predict(named_features(input_table(30)))
    )


def test_downloaded_files_do_not_stay_in_tmp(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, classifier: Any, source: str
) -> None:
    model = put(s3, model_uri("transient.skops"), skops_bytes(classifier))
    run(handler, context, model, source)
    download_dir = handler.MODELS._download_dir
    assert download_dir.is_dir() and list(download_dir.iterdir()) == []


def test_a_model_s3_will_not_show_is_a_400_that_says_so(
    handler: ModuleType, context: LocalLambdaContext, s3: Any, source: str
) -> None:
    """Without s3:ListBucket (e.g. a trusted pickle prefix in another bucket) S3 answers 403."""

    def forbidden(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

    handler.S3.meta.events.register("before-parameter-build.s3.HeadObject", forbidden)
    try:
        model = f"{TRUSTED_PREFIX}{unique('elsewhere.pkl')}"
        response = handler.lambda_handler(
            {"model_s3_uri": model, "data_s3_uri": source, "output_s3_uri": output_uri("out.csv")}, context
        )
    finally:
        handler.S3.meta.events.unregister("before-parameter-build.s3.HeadObject", forbidden)
    assert response["statusCode"] == 400
    assert response["body"]["error"].startswith(f"model_s3_uri {model} cannot be read by this function")

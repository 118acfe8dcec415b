"""Nothing lost, nothing half-written: an output appears only when the whole job succeeded, an
existing output is kept unless the request says overwrite, and a failure at any point (S3,
the model) leaves neither an object nor an open multipart upload."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_predict.predict import run_job
from batch_predict.requests import JobRequest, object_uri
from lambda_common.errors import ValidationError
from tests.support.batch_predict import (
    data_uri,
    encode,
    get,
    input_table,
    model_uri,
    object_exists,
    open_uploads,
    output_uri,
    put,
    skops_bytes,
    split,
)
from tests.support.lambda_invoke_server import LocalLambdaContext

# Enough output for three 5 MiB parts: 60,000 rows of ~270 bytes.
LARGE_ROWS = 60_000
PAYLOAD = "x" * 240
Run = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def skops_classifier(s3: Any, classifier: Any) -> str:
    return put(s3, model_uri("classifier.skops"), skops_bytes(classifier))


@pytest.fixture(scope="module")
def large_input(s3: Any) -> str:
    """Parquet (small to upload: the payload repeats) that becomes a CSV of several parts."""
    small = input_table(100)
    repeats = LARGE_ROWS // small.num_rows
    table = pa.concat_tables([small] * repeats).append_column("payload", pa.array([PAYLOAD] * LARGE_ROWS))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return put(s3, data_uri("large.parquet"), buffer.getvalue())


@pytest.fixture
def larger_batches(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 8192 rows for the large input (the module's 40 would make 1,500 batches)."""
    monkeypatch.setattr(handler, "CONFIG", dataclasses.replace(handler.CONFIG, batch_rows=8192))


@pytest.fixture
def s3_hook(handler: ModuleType) -> Iterator[Callable[[str, Callable[..., None]], None]]:
    """Register a botocore event hook on the function's own S3 client, removed afterwards."""
    registered: list[tuple[str, Callable[..., None]]] = []

    def register(event: str, hook: Callable[..., None]) -> None:
        handler.S3.meta.events.register(event, hook)
        registered.append((event, hook))

    yield register
    for event, hook in registered:
        handler.S3.meta.events.unregister(event, hook)


def invoke(handler: ModuleType, context: LocalLambdaContext, **event: Any) -> dict[str, Any]:
    return handler.lambda_handler(event, context)


@pytest.fixture
def run_classifier(handler: ModuleType, context: LocalLambdaContext, skops_classifier: str) -> Run:
    """`invoke` of the stored classifier on `source`, into `target`."""

    def call(source: str, target: str, **extra: Any) -> dict[str, Any]:
        return invoke(
            handler, context, model_s3_uri=skops_classifier, data_s3_uri=source, output_s3_uri=target, **extra
        )

    return call


def test_an_existing_output_is_not_overwritten(s3: Any, run_classifier: Run) -> None:
    source = put(s3, data_uri("in.csv"), encode(input_table(10), ".csv"))
    target = put(s3, output_uri("out.csv"), b"precious results\n")
    response = run_classifier(source, target)
    assert response["statusCode"] == 400
    assert response["body"]["error"] == (
        f'output_s3_uri {target} already exists: choose another output key, or send "overwrite": true to replace it'
    )
    assert get(s3, target) == b"precious results\n"


def test_overwrite_true_replaces_it(s3: Any, run_classifier: Run) -> None:
    source = put(s3, data_uri("in.csv"), encode(input_table(10), ".csv"))
    target = put(s3, output_uri("out.csv"), b"old results\n")
    response = run_classifier(source, target, overwrite=True)
    assert response["statusCode"] == 200, response
    assert get(s3, target).decode().splitlines()[0] == "id,f1,f2,f3,note,prediction"
    assert len(get(s3, target).decode().splitlines()) == 1 + 10


def test_an_output_created_while_the_job_ran_wins_atomically(s3: Any, run_classifier: Run, s3_hook: Any) -> None:
    """The up-front check passed, then someone wrote the key: If-None-Match refuses to replace it."""
    source = put(s3, data_uri("in.csv"), encode(input_table(10), ".csv"))
    target = output_uri("out.csv")
    s3_hook("before-parameter-build.s3.CompleteMultipartUpload", lambda **_: put(s3, target, b"written meanwhile\n"))
    response = run_classifier(source, target)
    assert response["statusCode"] == 400
    assert "already exists" in response["body"]["error"]
    assert get(s3, target) == b"written meanwhile\n"
    assert open_uploads(s3) == []


@pytest.mark.usefixtures("larger_batches")
def test_an_s3_failure_during_the_write_leaves_no_object_and_no_open_upload(
    context: LocalLambdaContext, s3: Any, run_classifier: Run, large_input: str, s3_hook: Any
) -> None:
    calls: list[int] = []

    def fail_second_part(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise ConnectionResetError("injected: connection reset while uploading part 2")

    s3_hook("before-parameter-build.s3.UploadPart", fail_second_part)
    target = output_uri("out.csv")
    response = run_classifier(large_input, target)
    assert response["statusCode"] == 500
    assert response["body"] == {
        "success": False,
        "error": "internal error",
        "error_type": "InternalError",
        "request_id": context.aws_request_id,
    }
    assert calls == [1, 2]  # part 1 was uploaded before the failure: there was something to abort
    assert not object_exists(s3, target)
    assert open_uploads(s3) == []


@pytest.mark.usefixtures("larger_batches")
def test_a_failure_while_predicting_aborts_the_upload(
    handler: ModuleType,
    s3: Any,
    skops_classifier: str,
    run_classifier: Run,
    large_input: str,
    s3_hook: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = handler.MODELS.get(object_uri(skops_classifier, field="model_s3_uri"))  # the instance the job will use
    real_predict = model.predict
    parts: list[int] = []
    s3_hook("before-parameter-build.s3.UploadPart", lambda params, **_: parts.append(params["PartNumber"]))

    def predict_until_a_part_is_out(features: Any, *, probabilities: bool) -> Any:
        if parts:
            raise MemoryError("injected: out of memory in the model")
        return real_predict(features, probabilities=probabilities)

    monkeypatch.setattr(model, "predict", predict_until_a_part_is_out)
    target = output_uri("out.csv")
    response = run_classifier(large_input, target)
    assert response["statusCode"] == 500 and response["body"]["error_type"] == "InternalError"
    assert parts == [1]
    assert not object_exists(s3, target)
    assert open_uploads(s3) == []


@pytest.mark.usefixtures("larger_batches")
def test_a_large_job_streams_through_several_parts(
    s3: Any, run_classifier: Run, large_input: str, s3_hook: Any
) -> None:
    parts: list[int] = []
    s3_hook("before-parameter-build.s3.UploadPart", lambda params, **_: parts.append(len(params["Body"])))
    target = output_uri("out.csv")
    response = run_classifier(large_input, target)
    assert response["statusCode"] == 200, response
    assert response["body"]["predictions_generated"] == LARGE_ROWS
    assert len(parts) >= 3 and all(size == 5 * 1024 * 1024 for size in parts[:-1])
    bucket, key = split(target)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == sum(parts)


def test_the_output_may_not_be_the_input(handler: ModuleType, s3: Any, skops_classifier: str) -> None:
    """Only reachable when the results location overlaps the data location: run_job directly."""
    config = dataclasses.replace(handler.CONFIG, results_location=handler.CONFIG.data_location)
    source = put(s3, data_uri("in.csv"), encode(input_table(5), ".csv"))
    request = JobRequest.from_event({"model_s3_uri": skops_classifier, "data_s3_uri": source, "output_s3_uri": source})
    with pytest.raises(ValidationError, match="output_s3_uri must differ from data_s3_uri"):
        run_job(request, s3=handler.S3, models=handler.MODELS, config=config)
    assert get(s3, source) == encode(input_table(5), ".csv")

"""End to end: `python -m tools.serve` as a real child process, on free ports, serving the dev
assembly the CDK CLI synthesizes (plus one test-only misbehaving function), called through
the project's clients, an unmodified boto3 and plain HTTP (urllib)."""

from __future__ import annotations

import base64
import csv
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from benchmarks.checkbox_form import encode, synthetic_form
from clients.lambda_invoke import create_lambda_client
from clients.mask_predictor import MaskPredictorClient
from clients.sentiment import SentimentClient, SentimentClientConfig
from mask_predictor.scheme import LABELS
from stacks.common.paths import REPO_ROOT
from stacks.workloads import WORKLOAD_NAMES
from tests.support.cdk_cli import shell_env
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get
from tools.local_serve.catalog import served_functions
from tools.local_serve.child_process import ServeProcess
from tools.local_serve.samples import SAMPLE_FORM

FAULTS_STACK = "LocalServeFaults-test"
FAULTS_FUNCTION = "local-serve-faults"
BROKEN_FUNCTION = "local-serve-broken"  # its handler's module does not exist
FAULTS_TIMEOUT_SECONDS = 2
FAULTS_MEMORY_MB = 128
SYNC_LIMIT_BYTES = 6_291_456
ASYNC_LIMIT_BYTES = 1_048_576


def add_faults_stack(cdk_out: Path) -> None:
    """A stack with one function whose handler misbehaves on request, as a template declares it."""
    manifest_path = cdk_out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["artifacts"][FAULTS_STACK] = {
        "type": "aws:cloudformation:stack",
        "environment": "aws://111111111111/us-east-1",
        "properties": {"templateFile": f"{FAULTS_STACK}.template.json"},
    }
    manifest_path.write_text(json.dumps(manifest))
    (cdk_out / f"{FAULTS_STACK}.assets.json").write_text(
        json.dumps({"version": "48.0.0", "files": {}, "dockerImages": {}})
    )
    template = {
        "Resources": {
            "Faults": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": FAULTS_FUNCTION,
                    "Handler": "tests.support.fault_handler.lambda_handler",
                    "Runtime": "python3.12",
                    "MemorySize": FAULTS_MEMORY_MB,
                    "Timeout": FAULTS_TIMEOUT_SECONDS,
                    "Code": {"S3Bucket": "unused-locally", "S3Key": "faults.zip"},
                    "Environment": {"Variables": {"GREETING": "from the template"}},
                },
            },
            "Broken": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": BROKEN_FUNCTION,
                    "Handler": "tests.integration.no_such_module.lambda_handler",
                    "Runtime": "python3.12",
                    "MemorySize": FAULTS_MEMORY_MB,
                    "Timeout": FAULTS_TIMEOUT_SECONDS,
                    "Code": {"S3Bucket": "unused-locally", "S3Key": "broken.zip"},
                },
            },
            "FaultsUrl": {
                "Type": "AWS::Lambda::Url",
                "Properties": {"AuthType": "NONE", "TargetFunctionArn": {"Fn::GetAtt": ["Faults", "Arn"]}},
            },
        }
    }
    (cdk_out / f"{FAULTS_STACK}.template.json").write_text(json.dumps(template))


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "-c", "env=dev", "-o", str(outdir)],
        cwd=REPO_ROOT,
        env=shell_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    add_faults_stack(outdir)
    return outdir


@pytest.fixture(scope="module")
def server(cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with ServeProcess.start(cdk_out=cdk_out, log_path=log_path, environ=shell_env()) as process:
        yield process


@pytest.fixture(scope="module")
def names(server: ServeProcess) -> dict[str, str]:
    """Folder -> served function name (mask_predictor -> mask-predictor-dev...)."""
    return {folder: server.function_name(folder) for folder in WORKLOAD_NAMES}


@pytest.fixture(scope="module")
def lambda_client(server: ServeProcess) -> Any:
    """An unmodified boto3 Lambda client, no retries (every failure must show)."""
    return _session().client(
        "lambda",
        endpoint_url=server.endpoints.lambda_api,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=120),
    )


@pytest.fixture(scope="module")
def s3(server: ServeProcess) -> Any:
    return _session().client("s3", endpoint_url=server.endpoints.s3)


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def invoke(lambda_client: Any, function_name: str, event: Any, **arguments: Any) -> tuple[dict[str, Any], Any]:
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode(), **arguments)
    payload = response["Payload"].read()
    return response, json.loads(payload) if payload else None


def http_call(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Plain HTTP, only the headers given (urllib would add a Content-Type to every POST)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_for(condition: Any, *, attempts: int = 600) -> None:
    """Poll ``condition`` every 0.1 s: a bound on waiting for another process, not a timing check."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"still not true after {attempts} attempts: {condition}")


def index(server: ServeProcess) -> dict[str, Any]:
    status, _, body = http_call("GET", server.endpoints.http + "/")
    assert status == 200
    return json.loads(body)


def form_jpeg() -> tuple[bytes, tuple[int, int]]:
    size = (620, 877)
    form, _ = synthetic_form(size=size)
    return encode(form, "JPEG"), size


# -- what is served, read from the templates ---------------------------------------------------


def test_every_function_of_the_assembly_is_served_with_its_template_settings(server: ServeProcess) -> None:
    functions = server.functions
    assert set(functions) == {
        "mask-predictor-dev",
        "sentiment-dev",
        "checkbox-dev",
        "batch-predict-dev",
        FAULTS_FUNCTION,
        BROKEN_FUNCTION,
    }
    assert (functions["mask-predictor-dev"]["memory_mb"], functions["mask-predictor-dev"]["folder"]) == (
        512,
        "mask_predictor",
    )
    assert (functions["sentiment-dev"]["memory_mb"], functions["sentiment-dev"]["timeout_seconds"]) == (2048, 60)
    assert (functions["checkbox-dev"]["memory_mb"], functions["checkbox-dev"]["timeout_seconds"]) == (3008, 29)
    assert functions["batch-predict-dev"]["http_prefix"] is None  # the Invoke API only
    assert functions["mask-predictor-dev"]["http_prefix"] == "/mask-predictor"
    assert functions["checkbox-dev"]["http_prefix"] == "/checkbox"
    assert functions[BROKEN_FUNCTION]["http_prefix"] is None


def test_the_catalog_reads_urls_apis_and_deploy_time_buckets_from_the_templates(cdk_out: Path) -> None:
    served = {function.folder: function for function in served_functions(cdk_out)}
    mask_url = served["mask_predictor"].function_url
    assert mask_url is not None and (mask_url.auth_type, mask_url.qualifier) == ("AWS_IAM", "live")
    api = served["checkbox"].rest_api
    assert api is not None and api.stage == "v1"
    assert [(route.method, route.path, route.api_key_required) for route in api.routes] == [
        ("GET", "/health", True),
        ("POST", "/predict", True),
        ("POST", "/uploads", True),
    ]
    assert "image/*" in api.binary_media_types
    batch = served["batch_predict"]
    assert batch.deploy_time_values["MODEL_BUCKET"] in batch.buckets
    assert batch.deploy_time_values["TRUSTED_PICKLE_PREFIXES"].endswith("/models/trusted/")


def test_a_worker_gets_the_template_environment_memory_and_timeout(lambda_client: Any, server: ServeProcess) -> None:
    names = ["GREETING", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"]
    response, answer = invoke(
        lambda_client, FAULTS_FUNCTION, {"action": "environment", "names": names}, Qualifier="$LATEST"
    )

    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert answer["variables"] == {
        "GREETING": "from the template",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(FAULTS_MEMORY_MB),
        "AWS_ENDPOINT_URL_S3": server.endpoints.s3,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_PROFILE": None,
    }
    assert answer["memory_limit_in_mb"] == FAULTS_MEMORY_MB
    assert 0 < answer["remaining_ms"] <= FAULTS_TIMEOUT_SECONDS * 1000
    assert answer["invoked_function_arn"].endswith(f":function:{FAULTS_FUNCTION}:$LATEST")


# -- the mask predictor ------------------------------------------------------------------------


def test_mask_predictor_through_the_project_client(server: ServeProcess, names: dict[str, str]) -> None:
    client = MaskPredictorClient(
        function_name=names["mask_predictor"],
        qualifier="live",
        lambda_client=create_lambda_client(
            endpoint_url=server.endpoints.lambda_api, session=_session(), max_attempts=1
        ),
    )

    single = client.predict("3M Aura 9205+ N95")
    batch = client.predict_batch(["Moldex 2300 N95 with Exhalation Valve", "3M Aura 9205+ N95"])
    health = client.health_check()

    assert single["breakdown"][0] == {"3M": "brand"}
    assert set(single["components"]) == set(LABELS)  # every label of the scheme, found or not
    assert [result["mask_name"] for result in batch] == ["Moldex 2300 N95 with Exhalation Valve", "3M Aura 9205+ N95"]
    assert batch[1] == single
    assert health["status"] == "ok" and health["function_name"] == names["mask_predictor"]


def test_mask_predictor_through_its_function_url_route(server: ServeProcess) -> None:
    base = server.endpoints.http + server.functions["mask-predictor-dev"]["http_prefix"]

    status, headers, body = http_call(
        "POST",
        base + "/predict",
        body=b'{"mask_names": ["3M Aura 9205+ N95"]}',
        headers={"Content-Type": "application/json"},
    )
    health_status, _, health = http_call("GET", base + "/health")
    bad_status, _, bad = http_call(
        "POST", base + "/predict", body=b"{not json", headers={"Content-Type": "application/json"}
    )
    wrong_status, wrong_headers, _ = http_call("DELETE", base + "/predict")

    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body)["results"][0]["breakdown"][0] == {"3M": "brand"}
    assert health_status == 200 and json.loads(health)["status"] == "ok"
    assert bad_status == 400 and "not valid JSON" in json.loads(bad)["error"]
    assert wrong_status == 405 and wrong_headers["allow"] == "POST"


# -- sentiment ---------------------------------------------------------------------------------


def test_sentiment_through_the_project_client(server: ServeProcess, names: dict[str, str]) -> None:
    client = SentimentClient(
        SentimentClientConfig(enabled=True, function_name=names["sentiment"], max_attempts=1),
        lambda_client=create_lambda_client(
            endpoint_url=server.endpoints.lambda_api, session=_session(), max_attempts=1
        ),
    )

    results = client.analyse(["I love this!", "This is terrible"] * 30)  # two invocations of at most 50

    assert len(results) == 60
    assert {result["source"] for result in results} == {"lambda"}
    assert [result["sentiment"] for result in results[:2]] == ["positive", "negative"]
    assert client.health_check()["status"] == "ok"


def test_sentiment_through_plain_boto3_and_its_http_route(
    lambda_client: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    response, answer = invoke(lambda_client, names["sentiment"], {"texts": ["I love this!"]})
    status, _, body = http_call(
        "POST",
        server.endpoints.http + "/sentiment/",
        body=b'{"texts": ["This is terrible"]}',
        headers={"Content-Type": "application/json"},
    )

    assert response["StatusCode"] == 200 and answer["statusCode"] == 200
    assert answer["body"]["results"][0]["sentiment"] == "positive"
    assert status == 200 and json.loads(body)["results"][0]["sentiment"] == "negative"


# -- the checkbox detector behind its REST API -------------------------------------------------


def test_checkbox_predict_with_a_multipart_upload(server: ServeProcess) -> None:
    image, (width, height) = form_jpeg()
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="conf"\r\n\r\n0.2\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="form.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + image
        + f"\r\n--{boundary}--\r\n".encode()
    )

    status, headers, answer = http_call(
        "POST",
        server.endpoints.http + "/checkbox/predict",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "x-api-key": "any-local-key"},
    )

    assert status == 200, answer[:500]
    result = json.loads(answer)
    assert (result["pages"][0]["width"], result["pages"][0]["height"]) == (width, height)
    assert result["thresholds"]["conf"] == 0.2
    assert headers["x-amzn-RequestId"]


def test_checkbox_predict_with_a_json_body_and_health(server: ServeProcess) -> None:
    image, (width, _) = form_jpeg()
    body = json.dumps({"image": base64.b64encode(image).decode()}).encode()
    key = {"x-api-key": "any-local-key"}

    status, _, answer = http_call(
        "POST",
        server.endpoints.http + "/checkbox/predict",
        body=body,
        headers={"Content-Type": "application/json", **key},
    )
    health_status, _, health = http_call("GET", server.endpoints.http + "/checkbox/health", headers=key)

    assert status == 200 and json.loads(answer)["pages"][0]["width"] == width
    assert health_status == 200 and json.loads(health)["status"] == "ok"


def test_checkbox_rest_api_refuses_as_api_gateway_does(server: ServeProcess) -> None:
    base = server.endpoints.http + "/checkbox"
    key = {"x-api-key": "any-local-key"}

    no_key = http_call("GET", base + "/health")
    unknown_route = http_call("GET", base + "/predict", headers=key)  # only POST is declared
    no_content_type = http_call("POST", base + "/predict", body=b"x", headers=key)

    assert (no_key[0], json.loads(no_key[2])) == (403, {"message": "Forbidden"})
    assert (unknown_route[0], json.loads(unknown_route[2])) == (403, {"message": "Missing Authentication Token"})
    assert no_content_type[0] == 400
    assert "Content-Type" in json.loads(no_content_type[2])["message"]


def test_checkbox_through_boto3_with_a_rest_proxy_event(lambda_client: Any, names: dict[str, str]) -> None:
    response, answer = invoke(lambda_client, names["checkbox"], {"httpMethod": "GET", "path": "/health"})

    assert response["StatusCode"] == 200 and answer["statusCode"] == 200
    assert json.loads(answer["body"])["function_name"] == names["checkbox"]


# -- the batch predictor and the embedded S3 ---------------------------------------------------


def test_batch_predict_through_boto3_reads_and_writes_the_embedded_s3(
    lambda_client: Any, s3: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    event = server.functions["batch-predict-dev"]["example_event"]

    response, answer = invoke(lambda_client, names["batch_predict"], event)

    assert response["StatusCode"] == 200, answer
    assert answer["body"]["success"] is True and answer["body"]["predictions_generated"] == 200
    bucket, _, key = event["output_s3_uri"].removeprefix("s3://").partition("/")
    rows = list(csv.DictReader(io.StringIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())))
    assert len(rows) == 200
    assert {row[event["prediction_column_name"]] for row in rows} <= {"low", "medium", "high"}


def test_batch_predict_through_plain_http_on_the_invoke_api(
    s3: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    event = dict(server.functions["batch-predict-dev"]["example_event"])
    model_bucket = event["model_s3_uri"].removeprefix("s3://").split("/", 1)[0]
    event["model_s3_uri"] = f"s3://{model_bucket}/models/trusted/demo/model.joblib"  # a trusted pickle
    event["output_s3_uri"] = event["output_s3_uri"].replace(".csv", "-joblib.csv")
    url = f"{server.endpoints.lambda_api}/2015-03-31/functions/{names['batch_predict']}/invocations"

    status, headers, body = http_call("POST", url, body=json.dumps(event).encode())

    assert (status, headers["X-Amz-Executed-Version"]) == (200, "$LATEST")
    assert json.loads(body)["body"]["model"]["format"] == "joblib"


def test_an_event_invocation_is_answered_202_and_then_runs(
    lambda_client: Any, s3: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    event = dict(server.functions["batch-predict-dev"]["example_event"])
    event["output_s3_uri"] = event["output_s3_uri"].replace(".csv", f"-{uuid.uuid4().hex}.csv")
    bucket, _, key = event["output_s3_uri"].removeprefix("s3://").partition("/")

    response = lambda_client.invoke(
        FunctionName=names["batch_predict"], InvocationType="Event", Payload=json.dumps(event).encode()
    )

    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""

    def written() -> bool:  # the queued invocation runs after the answer
        return "Contents" in s3.list_objects_v2(Bucket=bucket, Prefix=key)

    wait_for(written)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read().count(b"\n") == 201


# -- the Invoke API as Lambda answers it -------------------------------------------------------


@pytest.mark.parametrize(("function_name", "qualifier"), [("missing-function", None), ("mask-predictor-dev", "7")])
def test_unknown_function_or_qualifier_is_resource_not_found(
    lambda_client: Any, function_name: str, qualifier: str | None
) -> None:
    arguments = {"FunctionName": function_name, "Payload": b"{}"} | ({"Qualifier": qualifier} if qualifier else {})

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.invoke(**arguments)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_function_arn_with_its_alias_is_accepted(lambda_client: Any, names: dict[str, str]) -> None:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{names['mask_predictor']}:live"

    response, answer = invoke(lambda_client, arn, {"action": "health"})

    assert response["StatusCode"] == 200 and answer["status"] == "ok"


def test_a_body_that_is_not_json_is_invalid_request_content(lambda_client: Any, names: dict[str, str]) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName=names["mask_predictor"], Payload=b"{not json")


def test_dry_run_checks_without_running(lambda_client: Any, names: dict[str, str]) -> None:
    response = lambda_client.invoke(FunctionName=names["mask_predictor"], InvocationType="DryRun", Payload=b"{}")

    assert response["StatusCode"] == 204


# -- LogType Tail ------------------------------------------------------------------------------


def test_log_type_tail_returns_the_invocations_log_base64(lambda_client: Any) -> None:
    message = f"tail-{uuid.uuid4()}"
    response, answer = invoke(lambda_client, FAULTS_FUNCTION, {"action": "log", "message": message}, LogType="Tail")

    assert answer == {"logged": message}
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert f"printed 0: {message}" in lines and f"WARNING faults logged: {message}" in lines
    assert lines[-2] == f"END RequestId: {request_id}"
    assert (
        lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
        and f"Memory Size: {FAULTS_MEMORY_MB} MB" in lines[-1]
    )
    # This invocation's lines only: the previous invocation's message is not in the next tail.
    response, _ = invoke(lambda_client, FAULTS_FUNCTION, {"action": "pid"}, LogType="Tail")
    assert message not in base64.b64decode(response["LogResult"]).decode()


def test_log_type_tail_is_the_last_4_kb_and_absent_without_tail(lambda_client: Any, names: dict[str, str]) -> None:
    event = {"action": "log", "message": "x" * 100, "repeat": 100}  # about 11 KB of log
    response, _ = invoke(lambda_client, FAULTS_FUNCTION, event, LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096
    assert tail.decode().splitlines()[-1].startswith("REPORT RequestId: ")  # the end is kept, not the start
    assert b"printed 99: " in tail and b"printed 0: " not in tail

    response, answer = invoke(lambda_client, names["mask_predictor"], {"action": "health"})
    assert answer["status"] == "ok" and "LogResult" not in response

    response, answer = invoke(
        lambda_client, names["mask_predictor"], {"mask_name": "3M Aura 9205+ N95"}, LogType="Tail"
    )
    assert answer["tokens"] and "START RequestId: " in base64.b64decode(response["LogResult"]).decode()


def test_an_unknown_log_type_is_an_invalid_parameter(lambda_client: Any, names: dict[str, str]) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
        lambda_client.invoke(FunctionName=names["mask_predictor"], Payload=b"{}", LogType="Everything")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- discovery: ListFunctions, GetFunction, GetFunctionConfiguration, ListAliases -----------------


def test_list_functions_answers_every_function_with_its_template_configuration(
    lambda_client: Any, server: ServeProcess
) -> None:
    functions = {f["FunctionName"]: f for f in lambda_client.list_functions()["Functions"]}

    assert set(functions) == set(server.functions)
    for name, configuration in functions.items():
        assert configuration["FunctionArn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        assert (configuration["Version"], configuration["State"], configuration["LastUpdateStatus"]) == (
            "$LATEST",
            "Active",
            "Successful",
        )
        assert configuration["MemorySize"] == server.functions[name]["memory_mb"]
        assert configuration["Timeout"] == server.functions[name]["timeout_seconds"]
        assert configuration["Role"].startswith("arn:aws:iam::123456789012:role/")
        assert configuration["LastModified"].endswith("+0000")
    mask = functions["mask-predictor-dev"]
    assert (mask["PackageType"], mask["Runtime"], mask["Handler"]) == (
        "Zip",
        "python3.13",
        "mask_predictor.handler.lambda_handler",
    )
    assert mask["Architectures"] == ["x86_64"] and mask["CodeSize"] > 0
    assert mask["Environment"]["Variables"]["MODEL_DIR"] == "/opt/mask_predictor_model"
    assert [layer["Arn"].split(":")[5] for layer in mask["Layers"]] == ["layer"]
    assert mask["TracingConfig"] == {"Mode": "Active"}
    assert mask["LoggingConfig"]["LogGroup"] == "/aws/lambda/mask-predictor-dev"
    batch = functions["batch-predict-dev"]
    assert batch["PackageType"] == "Image" and "Runtime" not in batch and "Handler" not in batch
    assert (batch["MemorySize"], batch["Timeout"]) == (3008, 900)
    assert (
        batch["Environment"]["Variables"]["MODEL_BUCKET"] == "batchpredict-dev-buckets-models"
    )  # make serve's stand-in
    assert functions[FAULTS_FUNCTION]["Environment"] == {"Variables": {"GREETING": "from the template"}}


def test_list_functions_pages_with_marker_and_max_items(lambda_client: Any, server: ServeProcess) -> None:
    pages = list(lambda_client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 4}))

    assert [len(page["Functions"]) for page in pages] == [4, len(server.functions) - 4]
    assert "NextMarker" in pages[0] and "NextMarker" not in pages[-1]
    assert {f["FunctionName"] for page in pages for f in page["Functions"]} == set(server.functions)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.list_functions(Marker="not-a-marker-this-server-gave")
    status, headers, _ = http_call("GET", server.endpoints.lambda_api + "/2015-03-31/functions/?MaxItems=lots")
    assert status == 400 and headers["x-amzn-ErrorType"] == "InvalidParameterValueException"


def test_get_function_answers_configuration_code_and_tags(lambda_client: Any, names: dict[str, str]) -> None:
    mask = lambda_client.get_function(FunctionName=names["mask_predictor"])
    configuration = lambda_client.get_function_configuration(FunctionName=names["mask_predictor"])

    assert {k: v for k, v in configuration.items() if k != "ResponseMetadata"} == mask["Configuration"]
    assert mask["Code"]["RepositoryType"] == "S3"
    assert (Path(urllib.parse.urlsplit(mask["Code"]["Location"]).path) / "mask_predictor" / "handler.py").is_file()
    assert mask["Tags"]["aws:cloudformation:stack-name"] == "MaskPredictor-dev"
    batch = lambda_client.get_function(FunctionName=names["batch_predict"])
    assert batch["Code"]["RepositoryType"] == "ECR"
    assert ".dkr.ecr.us-east-1.amazonaws.com/" in batch["Code"]["ImageUri"]
    assert batch["Code"]["ResolvedImageUri"].startswith(batch["Code"]["ImageUri"].rsplit(":", 1)[0] + "@sha256:")
    assert batch["Tags"]["workload"] == "batch-predict-dev"


def test_qualifiers_name_the_alias_and_unknown_ones_are_not_found(lambda_client: Any, names: dict[str, str]) -> None:
    name = names["mask_predictor"]
    by_suffix = lambda_client.get_function_configuration(FunctionName=f"{name}:live")
    by_argument = lambda_client.get_function(FunctionName=name, Qualifier="live")["Configuration"]

    assert (
        by_suffix["FunctionArn"]
        == by_argument["FunctionArn"]
        == f"arn:aws:lambda:us-east-1:123456789012:function:{name}:live"
    )
    for arguments in ({"FunctionName": name, "Qualifier": "7"}, {"FunctionName": f"{name}:nope"}):
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.get_function_configuration(**arguments)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.get_function(FunctionName=f"{name}:live", Qualifier="$LATEST")


def test_list_aliases_and_get_alias(lambda_client: Any, names: dict[str, str]) -> None:
    name = names["batch_predict"]
    aliases = lambda_client.list_aliases(FunctionName=name)["Aliases"]

    assert [(a["Name"], a["AliasArn"], a["FunctionVersion"]) for a in aliases] == [
        ("live", f"arn:aws:lambda:us-east-1:123456789012:function:{name}:live", "$LATEST")
    ]
    assert lambda_client.list_aliases(FunctionName=name, FunctionVersion="3")["Aliases"] == []
    alias = lambda_client.get_alias(FunctionName=name, Name="live")
    assert alias["AliasArn"] == aliases[0]["AliasArn"]
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_alias(FunctionName=name, Name="staging")
    assert lambda_client.list_aliases(FunctionName=FAULTS_FUNCTION)["Aliases"] == []


@pytest.mark.parametrize("operation", ["get_function", "get_function_configuration", "list_aliases"])
def test_discovery_of_an_unknown_function_is_resource_not_found(lambda_client: Any, operation: str) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        getattr(lambda_client, operation)(FunctionName="missing-function")

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert raised.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing-function"
    )


@pytest.mark.parametrize(
    ("invocation_type", "limit"), [("RequestResponse", SYNC_LIMIT_BYTES), ("Event", ASYNC_LIMIT_BYTES)]
)
def test_a_request_over_the_payload_limit_is_refused_and_the_server_keeps_serving(
    lambda_client: Any, names: dict[str, str], invocation_type: str, limit: int
) -> None:
    payload = json.dumps({"mask_name": "x" * limit}).encode()

    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName=names["mask_predictor"], InvocationType=invocation_type, Payload=payload)
    response, answer = invoke(lambda_client, names["mask_predictor"], {"mask_name": "3M Aura 9205+ N95"})

    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert str(limit) in raised.value.response["Error"]["Message"]
    assert response["StatusCode"] == 200 and answer["mask_name"] == "3M Aura 9205+ N95"


def test_an_answer_over_6_mb_is_a_function_error(lambda_client: Any) -> None:
    response, error = invoke(lambda_client, FAULTS_FUNCTION, {"action": "answer_bytes", "size": SYNC_LIMIT_BYTES + 200})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Function.ResponseSizeTooLarge"


def test_an_http_route_refuses_an_event_over_6_mb(server: ServeProcess) -> None:
    body = json.dumps({"texts": ["x" * SYNC_LIMIT_BYTES]}).encode()

    status, _, _ = http_call(
        "POST", server.endpoints.http + "/sentiment/", body=body, headers={"Content-Type": "application/json"}
    )

    assert status == 413


# -- timeouts, crashes, memory: one invocation fails, the server and the others go on ----------


def test_a_timeout_is_lambdas_error_and_the_worker_is_replaced(lambda_client: Any) -> None:
    _, before = invoke(lambda_client, FAULTS_FUNCTION, {"action": "pid"})

    response, error = invoke(lambda_client, FAULTS_FUNCTION, {"action": "sleep", "seconds": 30})
    _, after = invoke(lambda_client, FAULTS_FUNCTION, {"action": "pid"})

    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith(f"Task timed out after {FAULTS_TIMEOUT_SECONDS:.2f} seconds")
    assert error["errorMessage"].startswith(f"RequestId: {response['ResponseMetadata']['RequestId']}")
    assert after["pid"] != before["pid"]  # a fresh execution environment


def test_a_crash_fails_that_invocation_only(lambda_client: Any, names: dict[str, str]) -> None:
    response, error = invoke(lambda_client, FAULTS_FUNCTION, {"action": "exit", "code": 3})
    other_response, other = invoke(lambda_client, names["mask_predictor"], {"mask_name": "3M Aura 9205+ N95"})
    again_response, again = invoke(lambda_client, FAULTS_FUNCTION, {"action": "pid"})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert other_response["StatusCode"] == 200 and other["mask_name"] == "3M Aura 9205+ N95"
    assert "FunctionError" not in again_response and again["pid"] > 0


def test_a_worker_killed_mid_invocation_fails_that_invocation_only(lambda_client: Any, tmp_path: Path) -> None:
    started = tmp_path / "started"
    event = {"action": "sleep", "seconds": 1.5, "started_file": str(started)}
    outcome: dict[str, Any] = {}
    call = threading.Thread(
        target=lambda: outcome.update(
            zip(("response", "error"), invoke(lambda_client, FAULTS_FUNCTION, event), strict=False)
        )
    )
    call.start()
    wait_for(started.exists)  # the worker is inside the handler now
    os.kill(int(started.read_text()), signal.SIGKILL)
    call.join()
    after_response, _ = invoke(lambda_client, FAULTS_FUNCTION, {"action": "pid"})

    assert outcome["response"]["FunctionError"] == "Unhandled"
    assert outcome["error"]["errorType"] == "Runtime.ExitError"
    assert outcome["error"]["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "FunctionError" not in after_response


def test_a_memory_blow_up_is_lambdas_out_of_memory_and_others_keep_answering(
    lambda_client: Any, names: dict[str, str]
) -> None:
    response, error = invoke(
        lambda_client, FAULTS_FUNCTION, {"action": "allocate", "mb": FAULTS_MEMORY_MB * 2, "hold_seconds": 1.5}
    )
    other_response, _ = invoke(lambda_client, names["sentiment"], {"texts": ["I love this!"]})
    small_response, small = invoke(lambda_client, FAULTS_FUNCTION, {"action": "allocate", "mb": 8})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in error["errorMessage"]
    assert other_response["StatusCode"] == 200 and "FunctionError" not in other_response
    assert "FunctionError" not in small_response and small == {"allocated_mb": 8}


def test_a_handler_that_fails_to_import_answers_its_init_error_and_the_server_goes_on(
    lambda_client: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    responses = [invoke(lambda_client, BROKEN_FUNCTION, {}) for _ in range(2)]  # each one tries a fresh init
    other_response, _ = invoke(lambda_client, names["mask_predictor"], {"action": "health"})

    for response, error in responses:
        assert response["FunctionError"] == "Unhandled"
        assert error["errorType"] == "Runtime.ImportModuleError"
        assert "no_such_module" in error["errorMessage"]
    assert "FunctionError" not in other_response
    assert "INIT FAILED" in server.output()


def test_idle_workers_killed_are_replaced_on_the_next_request(
    lambda_client: Any, server: ServeProcess, names: dict[str, str]
) -> None:
    before = index(server)["functions"][names["mask_predictor"]]
    for pid in before["worker_pids"]:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not any(_alive(pid) for pid in before["worker_pids"]))

    answers = [invoke(lambda_client, names["mask_predictor"], {"mask_name": "3M Aura"})[1] for _ in range(4)]
    after = index(server)["functions"][names["mask_predictor"]]

    assert all(answer["mask_name"] == "3M Aura" for answer in answers)
    assert not set(after["worker_pids"]) & set(before["worker_pids"])
    assert after["workers_replaced"] >= before["workers_replaced"] + len(before["worker_pids"])


def test_a_function_url_route_answers_502_for_a_failed_invocation(server: ServeProcess) -> None:
    base = server.endpoints.http + server.functions[FAULTS_FUNCTION]["http_prefix"]

    crashed = http_call("POST", base + "/", body=b'{"action": "exit"}', headers={"Content-Type": "application/json"})
    echoed = http_call(
        "POST", base + "/hello?a=1&a=2", body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    )

    assert (crashed[0], crashed[2]) == (502, b"Internal Server Error")
    assert echoed[0] == 200 and echoed[1]["Content-Type"] == "application/json"  # no statusCode: inferred
    event = json.loads(echoed[2])["echo"]
    assert (event["rawPath"], event["queryStringParameters"]) == ("/hello", {"a": "1,2"})
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\x00\x01")


# -- the command line: busy ports, Ctrl-C ------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "flag", "variable", "label"),
    [
        ("lambda_api", "--lambda-port", "SERVE_LAMBDA_PORT", "Lambda Invoke API"),
        ("http", "--http-port", "SERVE_HTTP_PORT", "HTTP routes"),
        ("s3", "--s3-port", "SERVE_S3_PORT", "embedded S3"),
    ],
)
def test_a_second_server_on_a_busy_port_says_so(
    server: ServeProcess, cdk_out: Path, endpoint: str, flag: str, variable: str, label: str
) -> None:
    busy_port = getattr(server.endpoints, endpoint).rsplit(":", 1)[1]
    free = {"--lambda-port": "0", "--http-port": "0", "--s3-port": "0"}

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.serve",
            "--cdk-out",
            str(cdk_out),
            *[part for name, port in (free | {flag: busy_port}).items() for part in (name, port)],
        ],
        cwd=REPO_ROOT,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 3
    assert f"port {busy_port} ({label}) on 127.0.0.1 is already in use" in result.stderr
    assert flag in result.stderr and variable in result.stderr
    assert index(server)["functions"]  # the first server still answers


def test_ctrl_c_stops_the_server_and_its_workers(cdk_out: Path, tmp_path: Path) -> None:
    process = ServeProcess.start(
        cdk_out=cdk_out,
        log_path=tmp_path / "serve.log",
        environ=shell_env(),
        arguments=["--function", "mask_predictor", "--function", FAULTS_FUNCTION],
    )
    pids = [pid for info in index(process)["functions"].values() for pid in info["worker_pids"]]

    exit_code = process.interrupt()

    assert exit_code == 0
    assert "serve: stopped" in process.output()
    assert len(pids) == 3 and not [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    """False once the process has exited completely: reaped, or a zombie whose threads have
    all exited (a killed leader shows as a zombie while its other threads still exit, and
    its parent cannot see it dead until they have)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status or "Threads:\t1\n" not in status


def test_artifact_mode_serves_what_ships_under_lambdas_python(cdk_out: Path, tmp_path: Path) -> None:
    """--artifact (make serve ARTIFACT=1): each worker is the runtime interface client under
    Lambda's Python serving the artifact (the staged ZIP asset; an image's built task root)."""
    lambda_python = find_lambda_interpreter()
    assert lambda_python is not None, how_to_get()
    process = ServeProcess.start(
        cdk_out=cdk_out,
        log_path=tmp_path / "serve.log",
        environ=shell_env(),
        arguments=["--artifact", "--function", "mask_predictor", "--function", "batch_predict"],
    )
    try:
        functions = index(process)["functions"]
        pids = [pid for info in functions.values() for pid in info["worker_pids"]]
        assert len(pids) == 3
        for pid in pids:
            assert Path(f"/proc/{pid}/exe").resolve() == lambda_python.resolve()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert command[1:3] == [b"-I", b"-S"] and b"awslambdaric" in command[5]
        client = _session().client("lambda", endpoint_url=process.endpoints.lambda_api)
        mask = process.function_name("mask_predictor")
        _, answer = invoke(client, mask, {"mask_name": "3M Aura 9205+ N95"})
        assert answer["components"]["brand"] == ["3M"] and answer["components"]["filter_type"] == ["N95"]
        status, _, body = http_call(
            "POST",
            f"{process.endpoints.http}{process.functions[mask]['http_prefix']}/predict",
            body=b'{"mask_name": 5}',
            headers={"Content-Type": "application/json"},
        )
        assert status == 400 and b"mask_name" in body
        batch = process.function_name("batch_predict")
        _, job = invoke(client, batch, process.functions[batch]["example_event"])
        assert job["statusCode"] == 200 and job["body"]["predictions_generated"] > 0, job
    finally:
        exit_code = process.interrupt()
    assert exit_code == 0 and not [pid for pid in pids if _alive(pid)]


def test_the_sample_form_the_banner_offers_shows_real_checkboxes(server: ServeProcess) -> None:
    """The committed model (the image's default) on the form `make serve` copies for its examples."""
    status, _, answer = http_call(
        "POST",
        server.endpoints.http + "/checkbox/predict",
        body=SAMPLE_FORM.read_bytes(),
        headers={"Content-Type": "image/jpeg", "x-api-key": "any-local-key"},
    )
    assert status == 200, answer[:500]
    detections = json.loads(answer)["pages"][0]["detections"]
    assert len(detections) >= 10
    assert {d["class_name"] for d in detections} == {"checked", "unchecked"}
    assert sorted(d["confidence"] for d in detections)[len(detections) // 2] > 0.6  # sure of most boxes

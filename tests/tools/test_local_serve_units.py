"""The local server's pure parts: HTTP events and answers, template values, the Invoke API's
wire format, settings, resident memory. No server, no synth (tests/integration/test_local_serve.py has those)."""

from __future__ import annotations

import base64
import json
import os
from email.message import Message

import pytest

from tools.local_serve import http_events
from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.memory import resident_bytes
from tools.local_serve.settings import SettingsError, parse_workers, port_setting
from tools.local_serve.template_values import deploy_time_values, local_bucket_names, resolve


def request(
    *,
    method: str = "POST",
    path: str = "/predict",
    query: str = "",
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
) -> http_events.HttpRequest:
    message = Message()
    for name, value in headers or []:
        message[name] = value
    return http_events.HttpRequest.from_wire(
        method=method,
        path=path,
        query=query,
        headers=message,
        body=body,
        source_ip="127.0.0.1",
        protocol="HTTP/1.1",
        request_id="req-1",
    )


# -- Function URL events (payload 2.0) --------------------------------------------------------


def test_a_function_url_event_has_lowercased_joined_headers_cookies_and_query() -> None:
    event = http_events.function_url_event(
        request(
            query="a=1&a=2&b=",
            body=b'{"texts": ["hi"]}',
            headers=[("Content-Type", "application/json"), ("X-Twice", "1"), ("x-twice", "2"), ("Cookie", "s=1; t=2")],
        )
    )

    assert (event["version"], event["rawPath"], event["rawQueryString"]) == ("2.0", "/predict", "a=1&a=2&b=")
    assert event["headers"] == {"content-type": "application/json", "x-twice": "1,2"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert (event["body"], event["isBase64Encoded"]) == ('{"texts": ["hi"]}', False)


def test_a_function_url_event_base64_encodes_a_binary_body_and_omits_an_empty_one() -> None:
    binary = http_events.function_url_event(request(body=b"\x89PNG", headers=[("Content-Type", "image/png")]))
    empty = http_events.function_url_event(request(method="GET", path="/health"))

    assert (binary["isBase64Encoded"], base64.b64decode(binary["body"])) == (True, b"\x89PNG")
    assert "body" not in empty and "queryStringParameters" not in empty and "cookies" not in empty


def test_a_function_url_answer_with_a_status_code_is_the_http_response() -> None:
    result = {
        "statusCode": 201,
        "headers": {"x-a": "1"},
        "cookies": ["c=1"],
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }

    answer = http_events.function_url_answer(json.dumps(result).encode(), failed=False)

    assert (answer.status, answer.body) == (201, b"\x00\x01")
    assert ("x-a", "1") in answer.headers and ("Set-Cookie", "c=1") in answer.headers


def test_a_function_url_answer_without_a_status_code_is_a_200_of_the_json() -> None:
    answer = http_events.function_url_answer(b'{"status": "warm"}', failed=False)

    assert (answer.status, answer.body) == (200, b'{"status": "warm"}')
    assert ("Content-Type", "application/json") in answer.headers


def test_a_failed_invocation_through_a_function_url_is_a_502() -> None:
    answer = http_events.function_url_answer(b'{"errorType": "Sandbox.Timedout"}', failed=True)

    assert (answer.status, answer.body) == (502, b"Internal Server Error")


# -- REST API proxy events (payload 1.0) ------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [("image/png", True), ("multipart/form-data; boundary=x", True), ("application/json", False), (None, False)],
)
def test_a_rest_event_base64_encodes_bodies_of_binary_media_types(content_type: str | None, encoded: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []

    event = http_events.rest_proxy_event(
        request(body=b"\xffdata", headers=headers),
        resource="/predict",
        stage="v1",
        binary_media_types=("multipart/form-data", "image/*"),
        api_key=None,
    )

    assert event["isBase64Encoded"] is encoded
    body = base64.b64decode(event["body"]) if encoded else event["body"].encode("utf-8", "replace")
    assert body.endswith(b"data")


def test_a_rest_event_has_single_and_multi_value_headers_and_query_and_the_stage_path() -> None:
    event = http_events.rest_proxy_event(
        request(
            method="GET",
            path="/health",
            query="x=1&x=2",
            headers=[("Accept", "a"), ("Accept", "b"), ("x-api-key", "k")],
        ),
        resource="/health",
        stage="v1",
        binary_media_types=(),
        api_key="k",
    )

    assert (event["httpMethod"], event["path"], event["resource"]) == ("GET", "/health", "/health")
    assert event["headers"]["Accept"] == "b" and event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["identity"]["apiKey"]) == ("v1", "/v1/health", "k")
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_a_rest_answer_becomes_the_http_response() -> None:
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"], "X-Extra": ["1", "2"]},
        "body": '{"ok": true}',
        "isBase64Encoded": False,
    }

    answer = http_events.rest_proxy_answer(json.dumps(result).encode(), failed=False, timed_out=False, request_id="r")

    assert (answer.status, answer.body) == (200, b'{"ok": true}')
    assert [value for name, value in answer.headers if name == "Content-Type"] == ["application/json"]
    assert [value for name, value in answer.headers if name == "X-Extra"] == ["1", "2"]


@pytest.mark.parametrize(
    ("result", "failed", "timed_out", "status", "message"),
    [
        (b'{"body": "no status code"}', False, False, 502, "Internal server error"),
        (b"not json", False, False, 502, "Internal server error"),
        (b'{"errorType": "ValueError"}', True, False, 502, "Internal server error"),
        (b'{"errorType": "Sandbox.Timedout"}', True, True, 504, "Endpoint request timed out"),
    ],
)
def test_api_gateway_answers_a_failure_itself(
    result: bytes, failed: bool, timed_out: bool, status: int, message: str
) -> None:
    answer = http_events.rest_proxy_answer(result, failed=failed, timed_out=timed_out, request_id="r")

    assert (answer.status, json.loads(answer.body)) == (status, {"message": message})


# -- values the template leaves to deploy time ------------------------------------------------


TEMPLATE_RESOURCES = {
    "BucketsModels32F0CFE2": {
        "Type": "AWS::S3::Bucket",
        "Metadata": {"aws:cdk:path": "BatchPredict-dev/Buckets/Models/Resource"},
    },
    "Named": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "an-existing-bucket"}},
    "Topic": {"Type": "AWS::SNS::Topic"},
}


def test_created_buckets_get_local_names_from_their_construct_path() -> None:
    assert local_bucket_names(TEMPLATE_RESOURCES) == {
        "BucketsModels32F0CFE2": "batchpredict-dev-buckets-models",
        "Named": "an-existing-bucket",
    }


def test_references_to_buckets_resolve_and_others_do_not() -> None:
    buckets = local_bucket_names(TEMPLATE_RESOURCES)
    environment = {
        "MODEL_BUCKET": {"Ref": "BucketsModels32F0CFE2"},
        "TRUSTED": {"Fn::Join": ["", ["s3://", {"Ref": "BucketsModels32F0CFE2"}, "/models/trusted/"]]},
        "ARN": {"Fn::GetAtt": ["Named", "Arn"]},
        "SUB": {"Fn::Sub": "s3://${Named}/x/${AWS::Region}"},
        "TOPIC": {"Ref": "Topic"},
        "PLAIN": "kept as it is",
    }

    values = deploy_time_values(environment, buckets)

    assert values == {
        "MODEL_BUCKET": "batchpredict-dev-buckets-models",
        "TRUSTED": "s3://batchpredict-dev-buckets-models/models/trusted/",
        "ARN": "arn:aws:s3:::an-existing-bucket",
        "SUB": "s3://an-existing-bucket/x/us-east-1",
    }
    assert resolve({"Fn::Join": ["", [{"Ref": "Topic"}, "x"]]}, buckets) is None


# -- the Invoke API's wire format --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "function_name", "qualifier"),
    [
        ("/2015-03-31/functions/fn/invocations", "fn", None),
        ("/2015-03-31/functions/fn/invocations?Qualifier=live", "fn", "live"),
        ("/2015-03-31/functions/fn%3Alive/invocations", "fn", "live"),
        (
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn%3A7/invocations",
            "fn",
            "7",
        ),
    ],
)
def test_the_function_and_qualifier_are_read_from_the_path(
    path: str, function_name: str, qualifier: str | None
) -> None:
    target = protocol.parse_invoke_path(path)

    assert target is not None and (target.function_name, target.qualifier) == (function_name, qualifier)


def test_another_path_is_not_an_invocation() -> None:
    assert protocol.parse_invoke_path("/2015-03-31/functions/") is None


def test_lambdas_own_failure_documents() -> None:
    timed_out = json.loads(protocol.timed_out_document(request_id="r-1", timeout_seconds=3))
    killed = json.loads(protocol.exited_document(request_id="r-2", exit_code=-9, out_of_memory=True))
    exited = json.loads(protocol.exited_document(request_id="r-3", exit_code=2, out_of_memory=False))

    assert (timed_out["errorType"], timed_out["errorMessage"]) == (
        "Sandbox.Timedout",
        "RequestId: r-1 Error: Task timed out after 3.00 seconds",
    )
    assert (killed["errorType"], killed["errorMessage"]) == (
        "Runtime.OutOfMemory",
        "RequestId: r-2 Error: Runtime exited with error: signal: killed",
    )
    assert (exited["errorType"], exited["errorMessage"]) == (
        "Runtime.ExitError",
        "RequestId: r-3 Error: Runtime exited with error: exit status 2",
    )


def test_an_import_failure_is_an_import_module_error() -> None:
    try:
        import a_module_that_does_not_exist  # noqa: F401
    except ImportError as error:
        document = json.loads(protocol.init_error_document(error))

    assert document["errorType"] == "Runtime.ImportModuleError"
    assert "a_module_that_does_not_exist" in document["errorMessage"]


# -- settings ----------------------------------------------------------------------------------


def test_a_port_comes_from_the_flag_then_the_environment_then_the_default() -> None:
    def port(flag_value: int | None, environ: dict[str, str]) -> int:
        return port_setting(
            label="HTTP routes",
            flag="--http-port",
            env_var="SERVE_HTTP_PORT",
            flag_value=flag_value,
            environ=environ,
            default=3000,
        ).port

    assert port(8080, {"SERVE_HTTP_PORT": "9090"}) == 8080
    assert port(None, {"SERVE_HTTP_PORT": "9090"}) == 9090
    assert port(None, {}) == 3000


@pytest.mark.parametrize("value", ["http", "70000"])
def test_a_bad_port_is_refused_with_its_variable_named(value: str) -> None:
    with pytest.raises(SettingsError, match="SERVE_S3_PORT|out of range"):
        port_setting(
            label="embedded S3",
            flag="--s3-port",
            env_var="SERVE_S3_PORT",
            flag_value=None,
            environ={"SERVE_S3_PORT": value},
            default=4566,
        )


def test_workers_per_function_are_parsed_and_checked() -> None:
    assert parse_workers(["mask_predictor=4", "sentiment-dev=2"]) == {"mask_predictor": 4, "sentiment-dev": 2}
    with pytest.raises(SettingsError, match="mask_predictor=0"):
        parse_workers(["mask_predictor=0"])


# -- resident memory ---------------------------------------------------------------------------


def test_resident_memory_of_a_live_process_and_of_none() -> None:
    assert (resident_bytes(os.getpid()) or 0) > 1 << 20
    assert resident_bytes(2**22 + 12345) is None  # above Linux's default pid_max: never a process

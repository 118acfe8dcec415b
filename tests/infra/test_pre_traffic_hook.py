"""The pre-traffic hook's code (shipped inline): which answers count as healthy, and that it
always reports to CodeDeploy, Failed for anything but a healthy answer."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from stacks.common import pre_traffic_hook_handler as hook
from stacks.common.pre_traffic_hook import HANDLER_SOURCE, INLINE_CODE_LIMIT

VERSION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:mask-predictor-dev:7"
EVENT = {"DeploymentId": "d-ABC123", "LifecycleEventHookExecutionId": "hook-execution-1"}


class FakeLambda:
    def __init__(
        self, answer: Any = None, *, function_error: str | None = None, raises: Exception | None = None
    ) -> None:
        self.answer, self.function_error, self.raises = answer, function_error, raises
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.raises:
            raise self.raises
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


class FakeCodeDeploy:
    def __init__(self) -> None:
        self.reports: list[dict[str, str]] = []

    def put_lifecycle_event_hook_execution_status(self, **kwargs: str) -> None:
        self.reports.append(kwargs)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "ok", "model": {"sha256": "abc"}},  # mask predictor, direct invoke
        {"statusCode": 200, "body": {"status": "ok"}},  # sentiment and batch predictor
        {"statusCode": 200, "headers": {}, "body": json.dumps({"status": "ok"})},  # checkbox (proxy shape)
    ],
)
def test_each_functions_health_answer_is_healthy(answer: dict[str, Any]) -> None:
    assert hook.healthy(answer)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "degraded"},
        {"statusCode": 500, "body": {"status": "ok"}},
        {"statusCode": 200, "body": "not json"},
        {"statusCode": 200, "body": {"success": False}},
        {"status": "warm"},
        None,
        ["ok"],
    ],
)
def test_anything_else_is_unhealthy(answer: Any) -> None:
    assert not hook.healthy(answer)


def test_a_healthy_version_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARGET_VERSION_ARN", VERSION_ARN)
    lambda_client, codedeploy = FakeLambda({"status": "ok"}), FakeCodeDeploy()
    result = hook.handler(EVENT, None, lambda_client=lambda_client, codedeploy_client=codedeploy)
    assert result["status"] == "Succeeded"
    assert lambda_client.calls == [{"FunctionName": VERSION_ARN, "Payload": b'{"action": "health"}'}]
    assert codedeploy.reports == [
        {"deploymentId": "d-ABC123", "lifecycleEventHookExecutionId": "hook-execution-1", "status": "Succeeded"}
    ]


@pytest.mark.parametrize(
    "lambda_client",
    [
        FakeLambda({"errorMessage": "boom"}, function_error="Unhandled"),
        FakeLambda({"statusCode": 500, "body": {"status": "error"}}),
        FakeLambda(raises=TimeoutError("read timed out")),
    ],
)
def test_an_unhealthy_or_silent_version_fails_the_deployment(
    lambda_client: FakeLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TARGET_VERSION_ARN", VERSION_ARN)
    codedeploy = FakeCodeDeploy()
    result = hook.handler(EVENT, None, lambda_client=lambda_client, codedeploy_client=codedeploy)
    assert result["status"] == "Failed"
    assert [report["status"] for report in codedeploy.reports] == ["Failed"]


def test_the_source_fits_inline_code_and_needs_only_the_runtime() -> None:
    source = HANDLER_SOURCE.read_text()
    assert len(source) <= INLINE_CODE_LIMIT
    imports = {line.split()[1] for line in source.splitlines() if line.strip().startswith(("import ", "from "))}
    assert imports <= {"json", "os", "boto3", "botocore.config"}

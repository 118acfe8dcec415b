"""CodeDeploy BeforeAllowTraffic hook: the new version must answer a health check.

Shipped inline (ZipFile, index.handler) by stacks/common/pre_traffic_hook.py; standard library
and boto3 only. Invokes TARGET_VERSION_ARN with {"action": "health"} and reports Succeeded only
for a healthy answer: {"status": "ok"} (direct invoke), or statusCode 200 whose body (a dict or a
JSON string) says "status": "ok". Anything else (a function error, a timeout) reports Failed.
"""

import json
import os

HEALTH_EVENT = {"action": "health"}
INVOKE_READ_TIMEOUT_SECONDS = 100


def healthy(answer):
    """True for a health answer of any of the four functions' shapes that says ok."""
    body = answer
    if isinstance(answer, dict) and "statusCode" in answer:
        if answer["statusCode"] != 200:
            return False
        body = answer.get("body")
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                return False
    return isinstance(body, dict) and body.get("status") == "ok"


def check(lambda_client, version_arn):
    """(status, reason) for the version: status is CodeDeploy's Succeeded or Failed."""
    try:
        response = lambda_client.invoke(FunctionName=version_arn, Payload=json.dumps(HEALTH_EVENT).encode())
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            return "Failed", f"{version_arn} raised {response['FunctionError']}: {payload[:500]!r}"
        answer = json.loads(payload)
    except Exception as error:  # any failure to get an answer fails the deployment
        return "Failed", f"{version_arn} gave no health answer: {error!r}"
    if healthy(answer):
        return "Succeeded", f"{version_arn} is healthy"
    return "Failed", f"{version_arn} answered unhealthy: {json.dumps(answer)[:500]}"


def handler(event, context, lambda_client=None, codedeploy_client=None):
    if lambda_client is None or codedeploy_client is None:
        import boto3
        from botocore.config import Config

        config = Config(read_timeout=INVOKE_READ_TIMEOUT_SECONDS, retries={"max_attempts": 1})
        lambda_client = lambda_client or boto3.client("lambda", config=config)
        codedeploy_client = codedeploy_client or boto3.client("codedeploy")
    status, reason = check(lambda_client, os.environ["TARGET_VERSION_ARN"])
    print(json.dumps({"deployment": event.get("DeploymentId"), "status": status, "reason": reason}))
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return {"status": status, "reason": reason}

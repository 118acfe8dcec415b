"""Reading synthesized CloudFormation templates in the infrastructure tests (tests/infra/):
one resource of a type, its logical id, the alarms' conditions, a function's definition in the
cloud assembly, and a Template of a construct built in a bare stack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from stacks.common.inference_function import InferenceFunction
from stacks.common.packages import ZipPackage
from stacks.settings import FunctionSettings, MonitoringSettings
from tools.cloud_assembly import CloudAssembly, FunctionDefinition

# A synthesized stack and its template.
Synth = tuple[Stack, Template]


def only_resource(template: Template, resource_type: str) -> dict:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, f"expected one {resource_type}, found {len(resources)}"
    return next(iter(resources.values()))


def logical_id(template: Template, resource_type: str) -> str:
    return next(iter(template.find_resources(resource_type)))


def alarm_metric(properties: dict[str, Any]) -> dict[str, Any]:
    """An alarm's metric as Namespace, MetricName, Dimensions, Statistic and Period, whether the
    alarm names it directly (CDK's own alarms) or as its one metric-math query (those of
    cdk-monitoring-constructs)."""
    if "Metrics" in properties:
        (query,) = properties["Metrics"]
        stat = query["MetricStat"]
        metric = stat["Metric"]
        return {
            "Namespace": metric["Namespace"],
            "MetricName": metric["MetricName"],
            "Dimensions": metric.get("Dimensions", []),
            "Statistic": stat["Stat"],
            "Period": stat["Period"],
        }
    keys = ("Namespace", "MetricName", "Dimensions", "Statistic", "Period")
    return {key: properties.get(key, []) if key == "Dimensions" else properties[key] for key in keys}


def alarm_conditions(template: Template) -> dict[tuple[str, str, str], float]:
    """(namespace, metric, statistic) -> threshold, for plain and metric-math alarms alike."""
    conditions = {}
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        metric = alarm_metric(alarm["Properties"])
        conditions[(metric["Namespace"], metric["MetricName"], metric["Statistic"])] = alarm["Properties"]["Threshold"]
    return conditions


def function_alarm_conditions(duration_p99_ms: float) -> dict[tuple[str, str, str], float]:
    """What `alarm_conditions` reads from every workload function's shared alarms: errors,
    throttles, p99 duration at `duration_p99_ms` and the handler's internal errors."""
    return {
        ("AWS/Lambda", "Errors", "Sum"): 0,
        ("AWS/Lambda", "Throttles", "Sum"): 0,
        ("AWS/Lambda", "Duration", "p99"): duration_p99_ms,
        ("MlInference", "InternalErrors", "Sum"): 0,
    }


def function_definition(synth: Synth, name: str) -> FunctionDefinition:
    """The workload function `name` as the cloud assembly of the synthesized app describes it."""
    stack, _ = synth
    return CloudAssembly(Path(stack.node.root.outdir)).function(name)


def bare_stack(account: str = "111111111111", region: str = "us-east-1") -> Stack:
    """An empty stack in an app of its own, for testing one construct outside its workload stack."""
    return Stack(App(), "Bare", env=Environment(account=account, region=region))


def template_of(build: Callable[[Stack], object]) -> tuple[object, Template]:
    """What `build(stack)` returns and the template of the bare stack it built it in."""
    stack = bare_stack()
    built = build(stack)
    return built, Template.from_stack(stack)


def probe_function(stack: Stack, **kwargs: Any) -> InferenceFunction:
    """The smallest InferenceFunction (inline ZIP code, default settings unless `settings=` is
    given), for testing the function construct and what attaches to it in a bare stack."""
    options: dict[str, Any] = {
        "function_name": "probe",
        "service_name": "probe",
        "description": "probe",
        "package": ZipPackage(
            code=lambda_.Code.from_inline("def handler(event, context):\n    return 1\n"), handler="index.handler"
        ),
        "settings": FunctionSettings(memory_mb=128, timeout_seconds=3),
        "monitoring": MonitoringSettings(),
        "alarm_topic": sns.Topic(stack, "Topic"),
        "environment": {},
    }
    return InferenceFunction(stack, "Fn", **{**options, **kwargs})


def assert_private_encrypted_retained_bucket(bucket: dict[str, Any]) -> None:
    """A bucket resource that blocks public access, encrypts with SSE-S3, enforces bucket-owner
    ownership and survives the stack's deletion (what every bucket of the app is)."""
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}

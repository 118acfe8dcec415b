"""The checkbox stack: an image function behind a REST API where no method is open."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Stack
from aws_cdk.assertions import Template

from stacks.common.packages import PYTHON_VERSION
from tests.infra.test_mask_predictor_stack import logical_id, only_resource
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.dockerfile import runtime_stage

Synth = tuple[Stack, Template]
REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "functions" / "checkbox" / "Dockerfile"


def checkbox_function(synth: Synth) -> FunctionDefinition:
    stack, _ = synth
    return CloudAssembly(Path(stack.node.root.outdir)).function("checkbox")  # type: ignore[attr-defined]


def methods(template: Template) -> dict[tuple[str, str], dict]:
    """(path part, HTTP method) -> method properties."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    found = {}
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource_id = properties["ResourceId"].get("Ref")
        found[(resources[resource_id]["Properties"]["PathPart"], properties["HttpMethod"])] = properties
    return found


def test_function_from_settings_with_timeout_inside_api_gateways(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    assert function["PackageType"] == "Image"
    assert (function["MemorySize"], function["Timeout"], function["Architectures"]) == (3008, 29, ["x86_64"])
    assert function["Environment"]["Variables"]["MAX_IMAGE_PIXELS"] == "40000000"


def test_image_agrees_with_the_stack(dev_checkbox: Synth, iam_checkbox: Synth) -> None:
    stage = runtime_stage(DOCKERFILE)
    assert stage.base_image == f"public.ecr.aws/lambda/python:{PYTHON_VERSION}"
    assert stage.platform is None
    assert stage.cmd == ["checkbox.handler.lambda_handler"]
    dev, iam = checkbox_function(dev_checkbox), checkbox_function(iam_checkbox)
    assert dev.handler == "checkbox.handler.lambda_handler"
    assert dev.image is not None and dev.image.platform == "linux/amd64"
    assert iam.image is not None and iam.image.platform == "linux/arm64"
    assert dev.image.build_args == {"PYTHON_VERSION": PYTHON_VERSION, "MODEL_FILE": "fixtures/checkbox/yolov8_tiny/model.onnx"}
    assert (dev.image.context_dir / "fixtures/checkbox/yolov8_tiny/model.onnx").is_file()
    assert sorted(p.name for p in dev.image.context_dir.iterdir()) == ["fixtures", "functions", "tools"]
    assert sorted(p.name for p in (dev.image.context_dir / "functions").iterdir()) == ["checkbox", "lambda_common"]


def test_routes_require_an_api_key_on_every_method(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    found = methods(template)
    assert set(found) == {("health", "GET"), ("predict", "POST")}
    for properties in found.values():
        assert properties["ApiKeyRequired"] is True
        assert properties["Integration"]["Type"] == "AWS_PROXY"
        assert properties["RequestValidatorId"] == {"Ref": logical_id(template, "AWS::ApiGateway::RequestValidator")}
    assert found[("predict", "POST")]["RequestParameters"] == {"method.request.header.Content-Type": True}
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestParameters": True, "ValidateRequestBody": True}
    )


def test_json_predict_body_is_checked_against_a_schema(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    predict = methods(template)[("predict", "POST")]
    (model_ref,) = predict["RequestModels"].values()
    assert list(predict["RequestModels"]) == ["application/json"]
    model = template.to_json()["Resources"][model_ref["Ref"]]["Properties"]
    schema = model["Schema"]
    assert schema["required"] == ["image"]
    assert schema["properties"]["conf"] == {
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "exclusiveMaximum": True
    }
    assert "RequestModels" not in methods(template)[("health", "GET")]


def test_api_key_usage_plan_throttles(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    plan = only_resource(template, "AWS::ApiGateway::UsagePlan")["Properties"]
    assert plan["Throttle"] == {"RateLimit": 10, "BurstLimit": 20}
    assert plan["ApiStages"][0]["Stage"] == {"Ref": logical_id(template, "AWS::ApiGateway::Stage")}
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {"KeyId": {"Ref": logical_id(template, "AWS::ApiGateway::ApiKey")}, "KeyType": "API_KEY"},
    )


def test_iam_auth_instead_of_keys(iam_checkbox: Synth) -> None:
    _, template = iam_checkbox
    for properties in methods(template).values():
        assert properties["AuthorizationType"] == "AWS_IAM"
        assert not properties.get("ApiKeyRequired")
    template.resource_count_is("AWS::ApiGateway::ApiKey", 0)
    template.resource_count_is("AWS::ApiGateway::UsagePlan", 0)
    stage = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]
    assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == 5
    assert stage["MethodSettings"][0]["ThrottlingBurstLimit"] == 7


def test_stage_traces_throttles_and_logs_access_as_json(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    stage = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == "v1" and stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 10 and settings["ThrottlingBurstLimit"] == 20
    # Execution logs need the account's CloudWatch role: off unless settings say it is there.
    assert settings["LoggingLevel"] == "OFF" and settings["DataTraceEnabled"] is False
    access = stage["AccessLogSetting"]
    # cdk.json's logGroupDestinationArnWithoutWildcard: the log group's ARN without ":*".
    prefix, log_group_ref = access["DestinationArn"]["Fn::Join"][1]
    assert prefix == "arn:aws:logs:us-east-1:111111111111:log-group:"
    assert json.loads(access["Format"])["status"] == "$context.status"
    log_group_id = log_group_ref["Ref"]
    assert template.to_json()["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 30


def test_binary_media_types_pass_images_and_multipart_untouched(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    api = only_resource(template, "AWS::ApiGateway::RestApi")["Properties"]
    assert api["BinaryMediaTypes"] == ["multipart/form-data", "image/*", "application/octet-stream"]
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_api_invokes_the_live_alias_only(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    alias = {"Ref": logical_id(template, "AWS::Lambda::Alias")}
    permissions = template.find_resources("AWS::Lambda::Permission").values()
    api_permissions = [p["Properties"] for p in permissions if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    assert api_permissions and all(p["FunctionName"] == alias for p in api_permissions)


def test_model_from_s3_reads_that_object_and_its_labels_only(iam_checkbox: Synth) -> None:
    _, template = iam_checkbox
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    assert function["Environment"]["Variables"]["MODEL_S3_URI"] == "s3://models-bucket/checkbox/best.onnx"
    statements = only_resource(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    (s3,) = [s for s in statements if s["Action"] == "s3:GetObject"]
    resources = [json.dumps(r) for r in s3["Resource"]]
    assert len(resources) == 2
    assert ":s3:::models-bucket/checkbox/best.onnx" in resources[0]
    assert ":s3:::models-bucket/checkbox/labels.json" in resources[1]


def test_outputs_api_url_and_key_id(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    outputs = template.to_json()["Outputs"]
    api_url = next(o["Value"] for key, o in outputs.items() if key.startswith("ApiEndpoint"))
    assert {"Ref": logical_id(template, "AWS::ApiGateway::RestApi")} in api_url["Fn::Join"][1]
    assert any("get-api-key --include-value" in o.get("Description", "") for o in outputs.values())

"""The checkbox stack: an image function behind a REST API where no method is open."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template

from stacks.common.packages import PYTHON_VERSION
from stacks.common.paths import REPO_ROOT
from tests.support.templates import (
    Synth,
    assert_private_encrypted_retained_bucket,
    function_definition,
    logical_id,
    only_resource,
)
from tools.dockerfile import runtime_stage

DOCKERFILE = REPO_ROOT / "functions" / "checkbox" / "Dockerfile"


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
    dev, iam = function_definition(dev_checkbox, "checkbox"), function_definition(iam_checkbox, "checkbox")
    assert dev.handler == "checkbox.handler.lambda_handler"
    assert dev.image is not None and dev.image.platform == "linux/amd64"
    assert iam.image is not None and iam.image.platform == "linux/arm64"
    assert dev.image.build_args == {
        "PYTHON_VERSION": PYTHON_VERSION,
        "MODEL_FILE": "models/checkbox/model.onnx",
    }
    assert (dev.image.context_dir / "models/checkbox/model.onnx").is_file()
    assert sorted(p.name for p in dev.image.context_dir.iterdir()) == ["functions", "models", "tools"]
    assert sorted(p.name for p in (dev.image.context_dir / "functions").iterdir()) == ["checkbox", "lambda_common"]


def test_routes_require_an_api_key_on_every_method(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    found = methods(template)
    assert set(found) == {("health", "GET"), ("uploads", "POST"), ("predict", "POST")}
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
    # Exactly one of an inline image and an uploaded scan's key (both or neither: 400 at API Gateway).
    assert schema["oneOf"] == [{"required": ["image"]}, {"required": ["s3_key"]}]
    assert "required" not in schema
    assert schema["properties"]["image"] == {"type": "string", "minLength": 1}
    assert schema["properties"]["s3_key"] == {"type": "string", "minLength": 1, "maxLength": 1024}
    assert schema["properties"]["conf"] == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 1,
        "exclusiveMaximum": True,
    }
    assert "RequestModels" not in methods(template)[("health", "GET")]
    assert "RequestModels" not in methods(template)[("uploads", "POST")]


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
    api_permissions = [
        p["Properties"] for p in permissions if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
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


# --- uploads: POST /uploads presigns a PUT into the uploads bucket; POST /predict reads it back ---


def uploads_bucket_id(template: Template) -> str:
    """The uploads bucket: the one the function's UPLOADS_BUCKET names."""
    function = only_resource(template, "AWS::Lambda::Function")["Properties"]
    return str(function["Environment"]["Variables"]["UPLOADS_BUCKET"]["Ref"])


def s3_statements(template: Template) -> list[dict]:
    statements = only_resource(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    return [s for s in statements if any(a.startswith("s3:") for a in _as_list(s["Action"]))]


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_the_function_is_told_the_uploads_bucket_prefix_expiry_and_size_limit(
    dev_checkbox: Synth, prod_checkbox: Synth
) -> None:
    for synth in (dev_checkbox, prod_checkbox):
        _, template = synth
        variables = only_resource(template, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
        bucket_id = uploads_bucket_id(template)
        assert template.to_json()["Resources"][bucket_id]["Type"] == "AWS::S3::Bucket"
        assert variables["UPLOADS_BUCKET"] == {"Ref": bucket_id}
        assert variables["UPLOADS_PREFIX"] == "checkbox-uploads/"
        assert variables["UPLOAD_URL_EXPIRES_SECONDS"] == "300"
        assert variables["MAX_UPLOAD_BYTES"] == "50000000"


def test_uploads_under_the_prefix_expire_after_a_day_and_interrupted_ones_are_aborted(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    bucket = template.to_json()["Resources"][uploads_bucket_id(template)]
    assert bucket["Properties"]["LifecycleConfiguration"] == {
        "Rules": [
            {"Id": "expire-uploads", "Prefix": "checkbox-uploads/", "ExpirationInDays": 1, "Status": "Enabled"},
            {
                "Id": "abort-incomplete-multipart-uploads",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "Status": "Enabled",
            },
        ]
    }
    # Throwaway objects: no version history keeping them billed and readable past their day.
    assert "VersioningConfiguration" not in bucket["Properties"]


def test_uploads_bucket_is_private_tls_only_encrypted_logged_and_retained(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    resources = template.to_json()["Resources"]
    bucket_id = uploads_bucket_id(template)
    bucket = resources[bucket_id]
    assert_private_encrypted_retained_bucket(bucket)
    properties = bucket["Properties"]
    logs_id = properties["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert properties["LoggingConfiguration"]["LogFilePrefix"] == "uploads/"
    logs = resources[logs_id]["Properties"]
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30  # the API's access-log retention
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::S3::BucketPolicy").values()
    }
    assert set(policies) == {bucket_id, logs_id}
    (tls_only,) = policies[bucket_id]
    assert tls_only["Effect"] == "Deny" and tls_only["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls_only["Action"] == "s3:*" and tls_only["Principal"] == {"AWS": "*"}


def test_the_role_may_put_and_get_under_the_uploads_prefix_and_nothing_else_in_the_bucket(
    dev_checkbox: Synth, iam_checkbox: Synth
) -> None:
    for synth, other_statements in ((dev_checkbox, 0), (iam_checkbox, 1)):  # iam_checkbox also reads its model
        _, template = synth
        bucket_id = uploads_bucket_id(template)
        on_uploads = [s for s in s3_statements(template) if bucket_id in json.dumps(s["Resource"])]
        (statement,) = on_uploads
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        assert sorted(_as_list(statement["Action"])) == ["s3:GetObject", "s3:PutObject"]
        assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/checkbox-uploads/*"]]}
        assert len(s3_statements(template)) == 1 + other_statements


def test_uploads_route_is_authenticated_exactly_like_predict(dev_checkbox: Synth, iam_checkbox: Synth) -> None:
    keys = ("AuthorizationType", "ApiKeyRequired", "AuthorizerId")
    for synth, authorization in ((dev_checkbox, "NONE"), (iam_checkbox, "AWS_IAM")):
        _, template = synth
        found = methods(template)
        uploads, predict = found[("uploads", "POST")], found[("predict", "POST")]
        assert {k: uploads.get(k) for k in keys} == {k: predict.get(k) for k in keys}
        assert uploads["AuthorizationType"] == authorization
        assert uploads["Integration"] == predict["Integration"]
        assert uploads["RequestValidatorId"] == predict["RequestValidatorId"]
    _, template = dev_checkbox
    assert methods(template)[("uploads", "POST")]["ApiKeyRequired"] is True


def test_the_uploads_bucket_name_is_an_output(dev_checkbox: Synth) -> None:
    _, template = dev_checkbox
    outputs = template.to_json()["Outputs"]
    (output,) = [o for o in outputs.values() if o["Value"] == {"Ref": uploads_bucket_id(template)}]
    assert "checkbox-uploads/" in output["Description"]

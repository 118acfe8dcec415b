"""A model-only change is a new version, so it reaches the `live` alias through the same
CodeDeploy rollout as a code change: a ZIP function's model layer, an image's model file.
(A model the function reads from S3 at run time, such as the batch predictor's, is data: a new
object under the same key changes no template and deploys nothing.)"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from stacks.common.inference_function import InferenceFunction
from stacks.common.packages import PYTHON_RUNTIME, ImagePackage, ZipPackage
from stacks.settings import ENVIRONMENTS, FunctionSettings, MonitoringSettings
from tools.cdk_context import cdk_synth_context

SETTINGS = FunctionSettings(memory_mb=512, timeout_seconds=30, rollout="canary_10_percent_5_minutes")


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def alias_target(outdir: Path, package_of: object) -> tuple[str, str]:
    """(version logical id the alias points at, its deployment group's config) for one synth."""
    app = App(outdir=str(outdir), context=cdk_synth_context("dev"))
    environment = ENVIRONMENTS["dev"]
    stack = Stack(app, "Versions", env=Environment(account=environment.account, region=environment.region))
    InferenceFunction(
        stack,
        "Fn",
        function_name="versions-test",
        service_name="versions_test",
        description="version test",
        package=package_of(stack),
        settings=SETTINGS,
        monitoring=MonitoringSettings(),
        alarm_topic=sns.Topic(stack, "Topic"),
        environment={},
    )
    template = Template.from_stack(stack)
    (alias,) = template.find_resources("AWS::Lambda::Alias").values()
    (group,) = template.find_resources("AWS::CodeDeploy::DeploymentGroup").values()
    return alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0], group["Properties"]["DeploymentConfigName"]


def test_a_new_model_layer_is_a_new_version_rolled_out_by_codedeploy(tmp_path: Path) -> None:
    code = write(tmp_path / "code", {"handler.py": "def handler(event, context):\n    return event\n"})
    model = tmp_path / "model"

    def package(stack: Stack) -> ZipPackage:
        layer = lambda_.LayerVersion(
            stack, "Model", code=lambda_.Code.from_asset(str(model)), compatible_runtimes=[PYTHON_RUNTIME]
        )
        return ZipPackage(code=lambda_.Code.from_asset(str(code)), handler="handler.handler", layers=[layer])

    write(model, {"model.crfsuite": "weights v1"})
    first = alias_target(tmp_path / "out1", package)
    same = alias_target(tmp_path / "out2", package)
    write(model, {"model.crfsuite": "weights v2"})  # the function's code is untouched
    retrained = alias_target(tmp_path / "out3", package)
    assert first == same
    assert retrained[0] != first[0]
    assert retrained[1] == first[1] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"


def test_a_new_model_in_the_image_is_a_new_version(tmp_path: Path) -> None:
    context = write(
        tmp_path / "image", {"Dockerfile": "FROM public.ecr.aws/lambda/python:3.13\nCOPY . .\n", "app.py": "x = 1\n"}
    )

    def package(stack: Stack) -> ImagePackage:
        return ImagePackage(code=lambda_.DockerImageCode.from_image_asset(str(context)))

    write(context, {"model.onnx": "weights v1"})
    first = alias_target(tmp_path / "out1", package)
    write(context, {"model.onnx": "weights v2"})
    retrained = alias_target(tmp_path / "out2", package)
    assert retrained[0] != first[0]

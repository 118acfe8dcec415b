"""What ships: a ZIP function's code asset and a model layer, both bundled without Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from aws_cdk import BundlingOptions, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common.local_bundling import (
    DEFAULT_EXCLUDES,
    LocalCopyBundling,
    LocalPythonFunctionBundling,
)
from stacks.common.paths import FUNCTIONS_DIR
from stacks.settings import Architecture

PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION = PYTHON_RUNTIME.name.removeprefix("python")

LAMBDA_ARCHITECTURE: dict[Architecture, lambda_.Architecture] = {
    "x86_64": lambda_.Architecture.X86_64,
    "arm64": lambda_.Architecture.ARM_64,
}
DOCKER_PLATFORM: dict[Architecture, str] = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}


def python_function_code(
    *, folder: str, architecture: Architecture, excludes: Sequence[str] = ()
) -> lambda_.Code:
    """The ZIP for `functions/<folder>`: its pinned requirements as Lambda wheels + the package.

    `excludes` leave parts (e.g. the model, shipped as a layer) out of both the ZIP and the
    asset hash, so changing them does not redeploy the code.
    """
    source_dir = FUNCTIONS_DIR / folder
    ignored = [*DEFAULT_EXCLUDES, *excludes]
    return lambda_.Code.from_asset(
        str(source_dir),
        exclude=ignored,
        bundling=BundlingOptions(
            image=PYTHON_RUNTIME.bundling_image,
            platform=DOCKER_PLATFORM[architecture],
            # Only used if local bundling were unavailable; local bundling always answers.
            command=[
                "bash", "-c",
                f"pip install --no-compile -r requirements.txt -t /asset-output"
                f" && mkdir -p /asset-output/{folder} && cp -r . /asset-output/{folder}",
            ],
            local=LocalPythonFunctionBundling(
                source_dir=source_dir,
                package_name=folder,
                architecture=architecture,
                python_version=PYTHON_VERSION,
                excludes=excludes,
            ),
        ),
    )


class ModelLayer(Construct):
    """A model directory shipped as its own layer, mounted read-only at `/opt/<folder>`.

    Code and model are separate assets, so retraining changes only this layer: the deploy
    diff shows a new layer version and the function's layer reference, nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_dir: Path,
        folder_name: str,
        architecture: Architecture,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.mount_path = f"/opt/{folder_name}"
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description=description,
            compatible_runtimes=[PYTHON_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE[architecture]],
            removal_policy=RemovalPolicy.RETAIN,  # older function versions may still use it
            code=lambda_.Code.from_asset(
                str(model_dir),
                exclude=list(DEFAULT_EXCLUDES),
                bundling=BundlingOptions(
                    image=PYTHON_RUNTIME.bundling_image,
                    command=["bash", "-c", f"mkdir -p /asset-output/{folder_name} && cp -r . /asset-output/{folder_name}"],
                    local=LocalCopyBundling(source_dir=model_dir, folder_name=folder_name),
                ),
            ),
        )

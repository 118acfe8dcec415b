"""Reads a synthesized cloud assembly (cdk.out): stacks, Lambda functions and their assets.

Shared by the synth report, `make invoke` and tests, so the deployed configuration is read
from one place: the templates CDK wrote, not a second copy of the settings.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.dockerfile import runtime_stage

_RATE = re.compile(r"rate\((\d+) minutes?\)")


@dataclass(frozen=True, kw_only=True)
class FunctionDefinition:
    stack_name: str
    logical_id: str
    function_name: str
    package_type: str  # "Zip" or "Image"
    handler: str | None
    runtime: str | None
    architecture: str
    memory_mb: int
    timeout_seconds: int
    environment: dict[str, Any]  # values are strings, or CloudFormation intrinsics (dicts)
    code_asset_dir: Path | None
    layer_asset_dirs: tuple[Path, ...]
    keep_warm_minutes: int | None
    provisioned_concurrency: int
    image: ImageAsset | None = None

    @property
    def folder(self) -> str | None:
        """The function's folder under functions/ (the handler's top-level package)."""
        return self.handler.split(".", 1)[0] if self.handler else None


@dataclass(frozen=True, kw_only=True)
class ImageAsset:
    context_dir: Path  # the staged build context
    dockerfile: str  # relative to the context, e.g. functions/sentiment/Dockerfile
    platform: str | None
    build_args: dict[str, str]


class CloudAssembly:
    def __init__(self, directory: Path) -> None:
        # Absolute: asset paths from here are used by processes with another working directory.
        self.directory = directory.resolve()
        manifest_path = self.directory / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"{manifest_path} not found: run `make synth` first")
        self._manifest = json.loads(manifest_path.read_text())

    def stack_names(self) -> list[str]:
        return [
            name
            for name, artifact in self._manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        ]

    def template(self, stack_name: str) -> dict[str, Any]:
        return json.loads((self.directory / f"{stack_name}.template.json").read_text())

    def functions(self) -> Iterator[FunctionDefinition]:
        """The workloads' functions: CDK's own deploy-time handlers (inline code, such as the
        one writing S3 bucket notifications) are left out."""
        for stack_name in self.stack_names():
            template = self.template(stack_name)
            resources = template["Resources"]
            asset_dirs, images = self._assets(stack_name)
            for logical_id, resource in resources.items():
                if resource["Type"] == "AWS::Lambda::Function" and "ZipFile" not in resource["Properties"]["Code"]:
                    yield _function_definition(stack_name, logical_id, resources, asset_dirs, images)

    def function(self, folder: str) -> FunctionDefinition:
        found = [fn for fn in self.functions() if fn.folder == folder]
        if not found:
            known = sorted({fn.folder for fn in self.functions() if fn.folder})
            raise LookupError(f"no function from functions/{folder} in {self.directory}; known: {known}")
        return found[0]

    def _assets(self, stack_name: str) -> tuple[dict[str, Path], dict[str, ImageAsset]]:
        """S3 object key -> staged directory of each ZIP asset; image tag -> image asset."""
        assets = json.loads((self.directory / f"{stack_name}.assets.json").read_text())
        dirs: dict[str, Path] = {}
        for asset in assets.get("files", {}).values():
            if asset["source"].get("packaging") != "zip":
                continue
            for destination in asset["destinations"].values():
                dirs[destination["objectKey"]] = self.directory / asset["source"]["path"]
        images: dict[str, ImageAsset] = {}
        for asset in assets.get("dockerImages", {}).values():
            source = asset["source"]
            image = ImageAsset(
                context_dir=self.directory / source["directory"],
                dockerfile=source.get("dockerFile", "Dockerfile"),
                platform=source.get("platform"),
                build_args=dict(source.get("dockerBuildArgs", {})),
            )
            for destination in asset["destinations"].values():
                images[destination["imageTag"]] = image
        return dirs, images


def _function_definition(
    stack_name: str,
    logical_id: str,
    resources: dict[str, Any],
    asset_dirs: dict[str, Path],
    images: dict[str, ImageAsset],
) -> FunctionDefinition:
    properties = resources[logical_id]["Properties"]
    image = _image_of(properties["Code"], images)
    layer_dirs = []
    for layer in properties.get("Layers", []):
        layer_id = layer.get("Ref") if isinstance(layer, dict) else None
        if layer_id and layer_id in resources:
            key = resources[layer_id]["Properties"]["Content"].get("S3Key")
            if key in asset_dirs:
                layer_dirs.append(asset_dirs[key])
    code_key = properties["Code"].get("S3Key")
    alias_ids = {
        alias_id
        for alias_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Alias" and resource["Properties"]["FunctionName"] == {"Ref": logical_id}
    }
    return FunctionDefinition(
        stack_name=stack_name,
        logical_id=logical_id,
        function_name=properties.get("FunctionName", logical_id),
        package_type=properties.get("PackageType", "Zip"),
        handler=properties.get("Handler") or (_image_handler(image) if image else None),
        runtime=properties.get("Runtime"),
        architecture=properties.get("Architectures", ["x86_64"])[0],
        memory_mb=int(properties.get("MemorySize", 128)),
        timeout_seconds=int(properties.get("Timeout", 3)),
        environment=dict(properties.get("Environment", {}).get("Variables", {})),
        code_asset_dir=asset_dirs.get(code_key) if isinstance(code_key, str) else None,
        layer_asset_dirs=tuple(layer_dirs),
        keep_warm_minutes=_keep_warm_minutes(resources, {logical_id, *alias_ids}),
        provisioned_concurrency=_provisioned_concurrency(resources, alias_ids),
        image=image,
    )


def _image_of(code: dict[str, Any], images: dict[str, ImageAsset]) -> ImageAsset | None:
    uri = code.get("ImageUri")
    if isinstance(uri, dict):  # {"Fn::Sub": "<account>.dkr.ecr.<region>.${AWS::URLSuffix}/<repo>:<tag>"}
        uri = uri.get("Fn::Sub", "")
    if not isinstance(uri, str) or ":" not in uri:
        return None
    return images.get(uri.rsplit(":", 1)[1])


def _image_handler(image: ImageAsset) -> str | None:
    """An image function's handler is its Dockerfile's CMD (Lambda's base images take it so)."""
    cmd = runtime_stage(image.context_dir / image.dockerfile).cmd
    return cmd[0] if cmd else None


def _keep_warm_minutes(resources: dict[str, Any], target_ids: set[str]) -> int | None:
    for resource in resources.values():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        properties = resource["Properties"]
        targets = {
            target["Arn"].get("Ref") or target["Arn"].get("Fn::GetAtt", [None])[0]
            for target in properties.get("Targets", [])
            if isinstance(target.get("Arn"), dict)
        }
        match = _RATE.fullmatch(properties.get("ScheduleExpression", ""))
        if match and targets & target_ids:
            return int(match.group(1))
    return None


def _provisioned_concurrency(resources: dict[str, Any], alias_ids: set[str]) -> int:
    for alias_id in alias_ids:
        config = resources[alias_id]["Properties"].get("ProvisionedConcurrencyConfig")
        if config:
            return int(config["ProvisionedConcurrentExecutions"])
    return 0


def directory_sizes(directory: Path) -> tuple[int, int]:
    """(unzipped bytes, zipped bytes) of a directory packaged the way CDK uploads it."""
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                unzipped += path.stat().st_size
                archive.write(path, path.relative_to(directory))
    return unzipped, buffer.getbuffer().nbytes

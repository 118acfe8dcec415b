"""What ships: a ZIP function's code asset and a model layer, both bundled without Docker."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import BundlingOptions, IgnoreMode, RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common import local_bundling
from stacks.common.local_bundling import (
    DEFAULT_EXCLUDES,
    LocalCopyBundling,
    LocalPythonFunctionBundling,
    requirements_lock_name,
)
from stacks.common.paths import FUNCTIONS_DIR, REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from stacks.settings import Architecture
from tools import task_root

# The bundler's own source is part of every bundled asset's hash: CDK keys staged assets on
# their inputs and bundling options only, so a change to what the bundler writes would
# otherwise leave stale assets in place.
BUNDLER_FINGERPRINT = hashlib.sha256(
    Path(local_bundling.__file__).read_bytes() + Path(task_root.__file__).read_bytes()
).hexdigest()[:16]
# Code every function ships beside its own package (ZIP root, or /var/task in an image).
SHARED_PACKAGE_DIR = FUNCTIONS_DIR / "lambda_common"

# Lambda's managed runtime (ZIP functions) and base image tag (images) for that one version.
PYTHON_VERSION = LAMBDA_PYTHON_VERSION
PYTHON_RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + PYTHON_VERSION.replace(".", "_"))
# Why the pinned runtime, when cdk-nag asks for the latest (every function on it says so).
PINNED_PYTHON_REASON = (
    f"{PYTHON_RUNTIME.name} on purpose (stacks/lambda_python.py): the tests start the shipped "
    "package under that very CPython version; moving up is one constant once its interpreter is at hand."
)

LAMBDA_ARCHITECTURE: dict[Architecture, lambda_.Architecture] = {
    "x86_64": lambda_.Architecture.X86_64,
    "arm64": lambda_.Architecture.ARM_64,
}
DOCKER_PLATFORM: dict[Architecture, str] = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
IMAGE_PLATFORM: dict[Architecture, ecr_assets.Platform] = {
    "x86_64": ecr_assets.Platform.LINUX_AMD64,
    "arm64": ecr_assets.Platform.LINUX_ARM64,
}


@dataclass(frozen=True, kw_only=True)
class ZipPackage:
    """A ZIP function: code asset, the handler string Lambda imports, optional layers."""

    code: lambda_.Code
    handler: str
    layers: Sequence[lambda_.ILayerVersion] = ()


@dataclass(frozen=True, kw_only=True)
class ImagePackage:
    """A container-image function; the handler is the Dockerfile's CMD."""

    code: lambda_.DockerImageCode


def shared_package_fingerprint(directory: Path = SHARED_PACKAGE_DIR) -> str:
    """A digest of the shared package's shipped files (names and contents): it lies outside the
    asset's source folder, which is all CDK hashes, so it must enter the hash some other way."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def lock_fingerprint(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16] if lock.exists() else "none"


def python_function_code(*, folder: str, architecture: Architecture, excludes: Sequence[str] = ()) -> lambda_.Code:
    """The ZIP for `functions/<folder>`: its lock for the architecture (requirements-<arch>.txt)
    installed as Lambda wheels with hashes checked, the package, and functions/lambda_common
    beside it as package `lambda_common`.

    `excludes` leave parts (e.g. the model, shipped as a layer) out of both the ZIP and the
    asset hash, so changing them does not redeploy the code.
    """
    source_dir = FUNCTIONS_DIR / folder
    lock_name = requirements_lock_name(architecture)
    ignored = [*DEFAULT_EXCLUDES, *excludes]
    return lambda_.Code.from_asset(
        str(source_dir),
        exclude=ignored,
        bundling=BundlingOptions(
            image=PYTHON_RUNTIME.bundling_image,
            platform=DOCKER_PLATFORM[architecture],
            # CDK hashes the source folder (less the excluded lock) and these options: the
            # fingerprints make a change to the bundler, the lock or lambda_common a new asset.
            environment={
                "BUNDLER_FINGERPRINT": BUNDLER_FINGERPRINT,
                "SHARED_PACKAGE_FINGERPRINT": shared_package_fingerprint(),
                "REQUIREMENTS_LOCK_SHA256": lock_fingerprint(source_dir / lock_name),
            },
            # Local bundling always answers. No Docker fallback: one would need the shared package
            # mounted by absolute path, and bundling options enter the asset hash, so the hash
            # would differ per checkout (a new version on every deploy from another folder).
            command=["bash", "-c", "echo 'bundled locally only (stacks/common/local_bundling.py)' >&2; exit 1"],
            local=LocalPythonFunctionBundling(  # type: ignore[arg-type]  # a jsii interface (@jsii.implements) mypy cannot see
                source_dir=source_dir,
                package_name=folder,
                architecture=architecture,
                python_version=PYTHON_VERSION,
                excludes=excludes,
                shared_packages=[SHARED_PACKAGE_DIR],
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
                    environment={"BUNDLER_FINGERPRINT": BUNDLER_FINGERPRINT},
                    command=[
                        "bash",
                        "-c",
                        f"mkdir -p /asset-output/{folder_name} && cp -r . /asset-output/{folder_name}",
                    ],
                    local=LocalCopyBundling(source_dir=model_dir, folder_name=folder_name),  # type: ignore[arg-type]  # as above
                ),
            ),
        )


# Every image's one install step (its Dockerfile RUNs it), so it is in every build context.
IMAGE_INSTALL_SCRIPT = "tools/task_root.py"


def python_image_code(
    *,
    folder: str,
    architecture: Architecture,
    context_paths: Sequence[str],
    build_args: Mapping[str, str] | None = None,
) -> lambda_.DockerImageCode:
    """The image built from `functions/<folder>/Dockerfile` for Lambda's architecture.

    The build context is the repository root, cut down to `context_paths` (the function plus
    the offline tooling its build stage runs), so the asset never drags in .venv or cdk.out.
    The image platform comes from the same setting as the function's architecture, so an
    image built on an arm64 laptop still runs on an x86_64 function (and the reverse), and the
    base image's Python is `PYTHON_VERSION` (build argument PYTHON_VERSION). The
    pinned CDK CLI builds with BUILDX_NO_DEFAULT_ATTESTATIONS=1: a single-platform manifest,
    which is what Lambda accepts.
    """
    return lambda_.DockerImageCode.from_image_asset(
        str(REPO_ROOT),
        file=f"functions/{folder}/Dockerfile",
        platform=IMAGE_PLATFORM[architecture],
        build_args={"PYTHON_VERSION": PYTHON_VERSION, **(build_args or {})},
        ignore_mode=IgnoreMode.DOCKER,
        exclude=["*", *(f"!{path}" for path in (*context_paths, IMAGE_INSTALL_SCRIPT)), "**/__pycache__", "**/*.pyc"],
    )

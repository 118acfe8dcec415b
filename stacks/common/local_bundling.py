"""Docker-free asset bundling for ZIP functions and layers.

CDK calls `try_bundle` before it would start a bundling container; returning True means the
output directory is complete and Docker is never needed. Wheels are resolved for Lambda's
platform and Python version, not this machine's, so a package built on a laptop runs on Lambda.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, ILocalBundling

from stacks.settings import Architecture
from tools.task_root import pip_install_command, requirements_lock

# Never shipped: caches, tests, local-only files, and what ships separately (the model layer).
DEFAULT_EXCLUDES = (
    "__pycache__",
    "*.pyc",
    "requirements.in",
    "requirements*.txt",
    "Dockerfile",
    ".dockerignore",
    "tests",
)
# Sources some wheels carry for rebuilding their extensions; nothing imports them at run time.
BUILD_ONLY_SUFFIXES = (".pyx", ".pxd", ".c", ".cpp", ".h", ".hpp")


def requirements_lock_name(architecture: Architecture) -> str:
    """A function's lock for one architecture (compiled by `make lock`, tools/locks.py)."""
    return requirements_lock(Path(), architecture).name


@jsii.implements(ILocalBundling)
class LocalPythonFunctionBundling:
    """Function package as Lambda unpacks it: wheels at the root, the code as one package, and
    each shared package (e.g. functions/lambda_common) beside it under its folder's name."""

    def __init__(
        self,
        *,
        source_dir: Path,
        package_name: str,
        architecture: Architecture,
        python_version: str,
        excludes: Sequence[str] = (),
        shared_packages: Sequence[Path] = (),
    ) -> None:
        self._source_dir = source_dir
        self._package_name = package_name
        self._shared_packages = tuple(shared_packages)
        self._architecture = architecture
        self._python_version = python_version
        self._excludes = (*DEFAULT_EXCLUDES, *excludes)

    def try_bundle(self, output_dir: str, _options: BundlingOptions) -> bool:
        target = Path(output_dir)
        requirements = self._source_dir / requirements_lock_name(self._architecture)
        if (self._source_dir / "requirements.in").exists():
            command = pip_install_command(
                requirements=requirements,
                target=target,
                architecture=self._architecture,
                python_version=self._python_version,
            )
            subprocess.run(command, check=True, stdout=sys.stderr)
            for path in target.rglob("*"):
                if path.suffix in BUILD_ONLY_SUFFIXES and path.is_file():
                    path.unlink()
        packages = [(self._source_dir, self._package_name), *((path, path.name) for path in self._shared_packages)]
        for source, name in packages:
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(*self._excludes), dirs_exist_ok=True)
        return True


@jsii.implements(ILocalBundling)
class LocalCopyBundling:
    """Copies a directory into a named sub-folder of the asset (a layer lands under /opt/<name>)."""

    def __init__(self, *, source_dir: Path, folder_name: str) -> None:
        self._source_dir = source_dir
        self._folder_name = folder_name

    def try_bundle(self, output_dir: str, _options: BundlingOptions) -> bool:
        shutil.copytree(
            self._source_dir,
            Path(output_dir) / self._folder_name,
            ignore=shutil.ignore_patterns(*DEFAULT_EXCLUDES),
            dirs_exist_ok=True,
        )
        return True

"""Build packages exactly as Lambda receives them, to measure their size.

Mirrors the stack's local bundling (stacks/common/local_bundling.py): prebuilt wheels for
Lambda's platform and Python version installed with ``pip --target``, the function package
copied next to them, the whole zipped with deflate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stacks.common.local_bundling import DEFAULT_EXCLUDES
from stacks.lambda_python import LAMBDA_PYTHON_VERSION as PYTHON_VERSION
from tools.task_root import MANYLINUX_PLATFORMS, lambda_wheels_install

# The stack's own choices: Lambda's Python, the manylinux platforms its bundler installs for,
# and what it never ships.
LAMBDA_PYTHON_VERSION = PYTHON_VERSION
LAMBDA_PLATFORMS = MANYLINUX_PLATFORMS["x86_64"]
EXCLUDED_PATTERNS = DEFAULT_EXCLUDES


@dataclass(frozen=True)
class PackageSize:
    unzipped_bytes: int
    zipped_bytes: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "unzipped_bytes": self.unzipped_bytes,
            "zipped_bytes": self.zipped_bytes,
            "unzipped_mb": round(self.unzipped_bytes / 1e6, 2),
            "zipped_mb": round(self.zipped_bytes / 1e6, 2),
        }


def pip_install_for_lambda(
    *, target: Path, requirements: Sequence[str] = (), requirements_file: Path | None = None
) -> None:
    """Install Lambda-platform wheels (never sdists: nothing is compiled for this machine)."""
    command = lambda_wheels_install(target=target, platforms=LAMBDA_PLATFORMS, python_version=LAMBDA_PYTHON_VERSION)
    if requirements_file is not None:
        command += ["--requirement", str(requirements_file)]
    command += list(requirements)
    subprocess.run(command, check=True, capture_output=True, text=True)


def copy_package(*, source: Path, destination: Path, extra_excludes: Sequence[str] = ()) -> None:
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns(*EXCLUDED_PATTERNS, *extra_excludes),
        dirs_exist_ok=True,
    )


SHARED_PACKAGE_DIR = Path(__file__).resolve().parents[1] / "functions" / "lambda_common"


def copy_function_code(*, source: Path, destination_root: Path, extra_excludes: Sequence[str] = ()) -> None:
    """A function package and the shared `lambda_common` package beside it, as every
    function ships them (ZIP root or /var/task)."""
    copy_package(source=source, destination=destination_root / source.name, extra_excludes=extra_excludes)
    copy_package(source=SHARED_PACKAGE_DIR, destination=destination_root / SHARED_PACKAGE_DIR.name)


def zip_directory(*, source: Path, zip_path: Path) -> PackageSize:
    unzipped = 0
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for root, _dirs, files in os.walk(source):
            for name in sorted(files):
                path = Path(root) / name
                archive.write(path, path.relative_to(source))
                unzipped += path.stat().st_size
    return PackageSize(unzipped_bytes=unzipped, zipped_bytes=zip_path.stat().st_size)

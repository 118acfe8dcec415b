"""Builds a container function's task root (/var/task): the one install step of every image.

Each function's Dockerfile runs this script as its only RUN step, and the artifact tests
(tests/artifacts) run the very same command line, read from the Dockerfile, for Lambda's
platform and Python: what the tests start is what the image holds, and the two cannot drift.

    python3 tools/task_root.py --context <build context> --function <folder> --target <dir>
        [--copy SOURCE=DEST ...] [--architecture x86_64|arm64] [--python-version 3.13]

1. pip installs functions/<folder>/requirements-<architecture>.txt (a complete lock: hashes
   required, nothing resolved, prebuilt manylinux wheels for the architecture and Python only);
2. removes what functions/<folder>/task_root.toml lists as never imported (offline tools, C
   headers, test suites);
3. copies the function's package (functions/<folder>/*.py -> <folder>/) and the shared
   package (functions/lambda_common/*.py -> lambda_common/), and each --copy (a model) into
   the task root, files 0644 and directories 0755;
4. compiles every module's bytecode with the running interpreter (unchecked-hash: /var/task is
   read-only in Lambda, so nothing could be cached there at run time).

The architecture defaults to this machine's and the Python version to the running
interpreter's, as they are inside `docker build --platform`. Standard library only.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import py_compile
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

SHARED_PACKAGE = "lambda_common"
# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): wheels built for
# manylinux2014 (glibc 2.17) up to manylinux_2_28 all load there.
MANYLINUX_PLATFORMS = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}
_MACHINE_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def requirements_lock(function_dir: Path, architecture: str) -> Path:
    """A function's complete runtime lock for one architecture (compiled by `make lock`)."""
    return function_dir / f"requirements-{architecture}.txt"


def lambda_wheels_install(*, target: Path, platforms: Sequence[str], python_version: str) -> list[str]:
    """pip arguments that install prebuilt CPython wheels for Lambda's platforms and Python into
    `target`, never an sdist (nothing is compiled for this machine) and no bytecode (the target
    Python compiles it). Callers add what to install and how (a lock with hashes, --no-deps...)."""
    platform_flags = [flag for name in platforms for flag in ("--platform", name)]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    wheels = ["--only-binary=:all:", "--implementation", "cp", *platform_flags, "--python-version", python_version]
    return [*pip, *wheels, "--target", str(target)]


def pip_install_command(*, requirements: Path, target: Path, architecture: str, python_version: str) -> list[str]:
    """pip arguments that install a complete lock, hashes checked and nothing resolved."""
    platforms = MANYLINUX_PLATFORMS[architecture]
    install = lambda_wheels_install(target=target, platforms=platforms, python_version=python_version)
    return [*install, "--no-deps", "--require-hashes", "--requirement", str(requirements)]


def prune(target: Path, spec_file: Path) -> None:
    """Removes the paths and the packages' tests/ folders `spec_file` names; a listed path
    that the install did not produce is an error (the list would be stale)."""
    spec = tomllib.loads(spec_file.read_text()) if spec_file.exists() else {}
    for relative in spec.get("remove", []):
        path = target / relative
        if not path.exists():
            raise SystemExit(f"{spec_file}: {relative!r} is not in the task root; remove it from the list")
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for package in spec.get("remove_tests_of", []):
        if not (target / package).is_dir():
            raise SystemExit(f"{spec_file}: package {package!r} is not in the task root")
        for tests in sorted((target / package).rglob("tests"), key=lambda p: len(p.parts), reverse=True):
            if tests.is_dir():
                shutil.rmtree(tests)


def copy_tree(source: Path, destination: Path, *, pattern: str = "*") -> None:
    """Copies `source` (a file, or a directory's `pattern` files, recursively for "*") with
    files 0644 and directories 0755, as Lambda wants them readable by its runtime user."""
    if source.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        shutil.copyfile(source, destination)
        destination.chmod(0o644)
        return
    if not source.is_dir():
        raise SystemExit(f"nothing to copy at {source}")
    destination.mkdir(parents=True, exist_ok=True, mode=0o755)
    for path in sorted(source.glob(pattern)):
        if path.name == "__pycache__" or path.suffix == ".pyc":
            continue
        if path.is_dir() and pattern == "*":
            copy_tree(path, destination / path.name)
        elif path.is_file():
            copy_tree(path, destination / path.name)


def build_task_root(
    *,
    context: Path,
    function: str,
    target: Path,
    copies: list[tuple[Path, str]],
    architecture: str,
    python_version: str,
) -> None:
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if python_version != running:
        raise SystemExit(
            f"run this script with Python {python_version} (the target): it compiles bytecode, this is {running}"
        )
    function_dir = context / "functions" / function
    target.mkdir(parents=True, exist_ok=True)
    lock = requirements_lock(function_dir, architecture)
    subprocess.run(
        pip_install_command(requirements=lock, target=target, architecture=architecture, python_version=python_version),
        check=True,
    )
    prune(target, function_dir / "task_root.toml")
    copy_tree(function_dir, target / function, pattern="*.py")
    copy_tree(context / "functions" / SHARED_PACKAGE, target / SHARED_PACKAGE, pattern="*.py")
    for source, destination in copies:
        copy_tree(source if source.is_absolute() else context / source, target / destination)
    compileall.compile_dir(
        str(target), quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )


def _copy_argument(value: str) -> tuple[Path, str]:
    source, separator, destination = value.partition("=")
    if not separator or not source or not destination or destination.startswith("/") or ".." in Path(destination).parts:
        raise argparse.ArgumentTypeError(f"--copy takes SOURCE=DEST with DEST relative to the task root, got {value!r}")
    return Path(source), destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--context", type=Path, required=True, help="the build context (the repository root)")
    parser.add_argument("--function", required=True, help="the folder under functions/")
    parser.add_argument("--target", type=Path, required=True, help="the task root to fill (/var/task)")
    parser.add_argument(
        "--copy", dest="copies", type=_copy_argument, action="append", default=[], metavar="SOURCE=DEST"
    )
    parser.add_argument(
        "--architecture",
        choices=sorted(MANYLINUX_PLATFORMS),
        default=_MACHINE_ARCHITECTURE.get(platform.machine().lower()),
    )
    parser.add_argument("--python-version", default=f"{sys.version_info[0]}.{sys.version_info[1]}")
    args = parser.parse_args(argv)
    if args.architecture is None:
        parser.error(f"cannot tell the architecture of machine {platform.machine()!r}: pass --architecture")
    # The options are named as build_task_root's parameters: what the command line says, it builds.
    build_task_root(**vars(args))
    os.chmod(args.target, 0o755)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

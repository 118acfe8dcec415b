"""A stand-in for an image's /var/task built from this virtualenv, without Docker.

A directory of symlinks holding only the distributions a function's requirements.txt pins
(plus the boto3 the Lambda base image provides), pruned as its Dockerfile prunes them. Run
with `python -S` and this directory on PYTHONPATH, a process imports exactly what the image
would hold: pandas, torch or pytest, which this virtualenv has and scikit-learn or skops
import when present, are absent. Tests check the import closure this way; benchmarks measure
memory this way.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import distribution
from pathlib import Path

from tools.dockerfile import Stage, parse_dockerfile
from tools.pinned_requirements import pinned_requirements

# In the Lambda Python base image already (the runtime's own boto3 and its dependencies).
BASE_IMAGE_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)


def pruning(runtime: Stage) -> tuple[set[str], set[str]]:
    """What the Dockerfile deletes after pip install: (paths, packages whose tests/ go)."""
    (install,) = [run.arguments for run in runtime.all("RUN") if "pip install" in run.arguments]
    removed = re.search(r"rm -rf ([^&]+)", install)
    tested = re.search(r"find (.+?) -depth -type d -name tests", install)
    paths = set(removed.group(1).split()) if removed else set()
    packages = set(tested.group(1).split()) if tested else set()
    return paths, packages


def image_task_root(*, dockerfile: Path, requirements: Path, destination: Path) -> Path:
    """`destination` filled with the image's distributions, pruned like the Dockerfile's
    runtime stage prunes them."""
    pruned, pruned_tests = pruning(parse_dockerfile(dockerfile).stages[-1])
    return task_root(
        destination,
        set(pinned_requirements(requirements)) | BASE_IMAGE_DISTRIBUTIONS,
        pruned=pruned,
        pruned_tests=pruned_tests,
    )


def task_root(destination: Path, distributions: set[str], *, pruned: set[str], pruned_tests: set[str]) -> Path:
    """A directory holding only `distributions` (a tree of symlinks into this virtualenv), minus
    the `pruned` top-level paths and the tests/ folders of `pruned_tests` packages."""
    destination.mkdir(parents=True)
    for name in sorted(distributions):
        installed = distribution(name)
        tops = {Path(str(file)).parts[0] for file in installed.files or () if not str(file).startswith("..")}
        for top in tops - {"__pycache__"}:
            source = Path(installed.locate_file(top))
            if top in pruned or not source.exists() or (destination / top).exists():
                continue
            if source.is_file():
                (destination / top).symlink_to(source)
                continue
            for directory, subdirectories, files in os.walk(source):
                relative = Path(directory).relative_to(source.parent)
                subdirectories[:] = [
                    sub for sub in subdirectories
                    if str(relative / sub) not in pruned and not (top in pruned_tests and sub == "tests")
                ]
                (destination / relative).mkdir(exist_ok=True)
                for file in files:
                    (destination / relative / file).symlink_to(Path(directory) / file)
    return destination

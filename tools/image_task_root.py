"""An image's /var/task, built without Docker by the image's own install step, and run isolated.

`build_image_task_root` runs tools/task_root.py (the one RUN step of every functions/*/Dockerfile)
under Lambda's CPython for Lambda's platform; `runtime_provided_dir` installs what the Lambda
runtime itself puts on sys.path (requirements/lambda-runtime-<arch>.txt: the runtime
interface client and the SDK). `isolated_python` starts that CPython so that only those
directories and the standard library are importable: nothing of a development virtualenv
(pandas, torch, pytest...) can be imported by accident.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Sequence

from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get
from tools.task_root import MANYLINUX_PLATFORMS

REPO_ROOT = Path(__file__).resolve().parents[1]
TASK_ROOT_SCRIPT = REPO_ROOT / "tools" / "task_root.py"
# Prepended to a script run by `isolated_python`: its directories go first on sys.path.
_PATH_PRELUDE = "import sys; sys.path[:0] = {paths!r}\n"


def lambda_python() -> Path:
    """Lambda's CPython on this machine; an AssertionError that says how to get one if absent."""
    found = find_lambda_interpreter()
    assert found is not None, how_to_get()
    return found


def build_image_task_root(
    folder: str, destination: Path, *, architecture: str = "x86_64", copies: Sequence[str] = ()
) -> Path:
    """`destination` filled as the image's RUN fills /var/task (`copies`: SOURCE=DEST)."""
    command = [
        str(lambda_python()), str(TASK_ROOT_SCRIPT), "--context", str(REPO_ROOT), "--function", folder,
        "--target", str(destination), "--architecture", architecture, "--python-version", LAMBDA_PYTHON_VERSION,
    ]
    for copy in copies:
        command += ["--copy", copy]
    subprocess.run(command, check=True)
    return destination


def runtime_provided_dir(destination: Path, *, architecture: str = "x86_64") -> Path:
    """What the Lambda runtime provides besides the task root, installed from its lock."""
    platforms = [flag for name in MANYLINUX_PLATFORMS[architecture] for flag in ("--platform", name)]
    subprocess.run(
        [
            str(lambda_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--require-hashes", "--only-binary=:all:", "--implementation", "cp", *platforms,
            "--python-version", LAMBDA_PYTHON_VERSION, "--target", str(destination),
            "-r", str(REPO_ROOT / "requirements" / f"lambda-runtime-{architecture}.txt"),
        ],
        check=True,
    )
    return destination


def isolated_python(script: str, paths: Sequence[Path]) -> list[str]:
    """A command running `script` under Lambda's CPython with only `paths` and the standard
    library importable (-I: no environment variables, user site or script directory; -S: no
    site-packages)."""
    prelude = _PATH_PRELUDE.format(paths=[str(path) for path in paths])
    return [str(lambda_python()), "-I", "-S", "-c", prelude + script]

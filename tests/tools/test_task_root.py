"""The images' install step (tools/task_root.py) refuses what would build a wrong task root, and
Lambda's Python is found on this machine."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.lambda_interpreter import find_lambda_interpreter
from tools.task_root import _copy_argument, prune


def test_lambdas_python_is_on_this_machine() -> None:
    found = find_lambda_interpreter()
    assert found is not None
    version = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    assert version.stdout.strip() == str(tuple(int(part) for part in LAMBDA_PYTHON_VERSION.split(".")))


def test_without_lambdas_python_the_finder_says_how_to_get_one(tmp_path: Path) -> None:
    completed = subprocess.run(  # a PATH with no python3.13, pyenv or uv, and no LAMBDA_PYTHON
        [sys.executable, "-m", "tools.lambda_interpreter"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)},
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert f"no CPython {LAMBDA_PYTHON_VERSION} found" in completed.stderr
    assert f"pyenv install {LAMBDA_PYTHON_VERSION}" in completed.stderr


def test_a_wrong_lambda_python_is_named_not_replaced(tmp_path: Path) -> None:
    completed = subprocess.run(  # LAMBDA_PYTHON names this 3.11: no fallback to another interpreter
        [sys.executable, "-m", "tools.lambda_interpreter"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "LAMBDA_PYTHON": sys.executable, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert f"LAMBDA_PYTHON={sys.executable} is not a CPython {LAMBDA_PYTHON_VERSION}" in completed.stderr


def test_the_script_refuses_to_compile_bytecode_for_another_python(tmp_path: Path) -> None:
    other = "3.9" if LAMBDA_PYTHON_VERSION != "3.9" else "3.10"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "task_root.py"),
            "--context",
            str(REPO_ROOT),
            "--function",
            "checkbox",
            "--target",
            str(tmp_path / "task"),
            "--python-version",
            other,
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode != 0 and f"run this script with Python {other}" in completed.stderr
    assert not (tmp_path / "task").exists()


@pytest.mark.parametrize("value", ["model.onnx", "=dest", "src=", "src=/var/task/x", "src=../outside"])
def test_a_copy_must_land_inside_the_task_root(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="SOURCE=DEST"):
        _copy_argument(value)


def test_a_prune_list_naming_what_was_not_installed_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "numpy" / "tests").mkdir(parents=True)
    spec = tmp_path / "task_root.toml"
    spec.write_text('remove = ["onnxruntime/tools"]\n')
    with pytest.raises(SystemExit, match="onnxruntime/tools"):
        prune(tmp_path, spec)
    spec.write_text('remove_tests_of = ["numpy"]\n')
    prune(tmp_path, spec)
    assert (tmp_path / "numpy").is_dir() and not (tmp_path / "numpy" / "tests").exists()

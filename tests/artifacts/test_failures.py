"""What must fail here as it would fail on Lambda: copies of built artifacts (hard links, cheap)
with something missing, a handler string that does not resolve, and code importing a library
that does not ship (present in the development virtualenv: proves it is not visible). Each
asserts the init error the runtime reports, as Lambda would report it on the first invoke.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.support.artifacts import INVOKE_TIMEOUT_SECONDS, Artifacts
from tools.artifacts import Artifact, link_tree
from tools.lambda_runtime_api import InitError, RuntimeInitFailed

EXIT_TIMEOUT_SECONDS = 30.0


def init_error(artifacts: Artifacts, artifact: Artifact, tmp_path: Path, *, handler: str | None = None) -> InitError:
    """Start `artifact`: the init error the runtime reports for an event (and it exits 1)."""
    with artifacts.start(artifact, tmp_path / "run", handler=handler) as running:
        with pytest.raises(RuntimeInitFailed) as failure:
            running.invoke({"action": "health"}, timeout=INVOKE_TIMEOUT_SECONDS)
        assert running.process.wait(timeout=EXIT_TIMEOUT_SECONDS) == 1, "it exits on its own"
    error = failure.value.init_error
    assert error.json()["errorType"] == error.error_type, error
    return error


def copy_of(artifacts: Artifacts, folder: str, tmp_path: Path) -> Artifact:
    """A copy of `folder`'s artifact whose task root may be changed freely."""
    artifact = artifacts[folder]
    return dataclasses.replace(artifact, task_root=link_tree(artifact.task_root, tmp_path / "task_root"))


@pytest.mark.parametrize(("folder", "package"), [("mask_predictor", "pycrfsuite"), ("checkbox", "onnxruntime")])
def test_a_missing_dependency_is_an_import_module_error(
    artifacts: Artifacts, tmp_path: Path, folder: str, package: str
) -> None:
    artifact = copy_of(artifacts, folder, tmp_path)
    shutil.rmtree(artifact.task_root / package)
    error = init_error(artifacts, artifact, tmp_path)
    assert error.error_type == "Runtime.ImportModuleError", error
    assert f"No module named '{package}'" in error.json()["errorMessage"], error


@pytest.mark.parametrize(("folder", "module"), [("mask_predictor", "predictor"), ("checkbox", "yolo")])
def test_a_missing_module_of_the_function_is_an_import_module_error(
    artifacts: Artifacts, tmp_path: Path, folder: str, module: str
) -> None:
    artifact = copy_of(artifacts, folder, tmp_path)
    package = artifact.task_root / folder
    (package / f"{module}.py").unlink()
    for compiled in package.glob(f"__pycache__/{module}.*.pyc"):
        compiled.unlink()
    error = init_error(artifacts, artifact, tmp_path)
    assert error.error_type == "Runtime.ImportModuleError", error
    message = error.json()["errorMessage"]  # `import checkbox.yolo` or `from checkbox import yolo`
    assert (
        f"No module named '{folder}.{module}'" in message or f"cannot import name '{module}' from '{folder}'" in message
    ), error


def test_a_missing_model_file_fails_init_naming_it(artifacts: Artifacts, tmp_path: Path) -> None:
    artifact = copy_of(artifacts, "sentiment", tmp_path)
    (artifact.task_root / "sentiment_model" / "model.onnx").unlink()
    error = init_error(artifacts, artifact, tmp_path)
    assert error.error_type == "ModelError", error  # the function's own error, raised at cold start
    assert "model.onnx" in error.json()["errorMessage"], error


def test_every_handler_misspelled_is_an_import_module_error_and_a_wrong_name_handler_not_found(
    artifacts: Artifacts, tmp_path: Path
) -> None:
    for folder in sorted(artifacts.functions):
        artifact = artifacts[folder]
        module, _, function = artifact.handler.rpartition(".")
        misspelled = f"{module[:-1]}.{function}"  # sentiment.handle.lambda_handler
        error = init_error(artifacts, artifact, tmp_path / folder / "module", handler=misspelled)
        assert error.error_type == "Runtime.ImportModuleError", (folder, error)
        assert error.json()["errorMessage"].startswith(f"Unable to import module '{module[:-1]}'"), error
        wrong = f"{module}.{function}_v2"  # the module imports (model and all); the name is not in it
        error = init_error(artifacts, artifact, tmp_path / folder / "name", handler=wrong)
        assert error.error_type == "Runtime.HandlerNotFound", (folder, error)
        assert error.json()["errorMessage"] == f"Handler '{function}_v2' missing on module '{module}'"


@pytest.mark.parametrize("folder", ["mask_predictor", "checkbox"])
def test_nothing_from_the_development_environment_is_importable(
    artifacts: Artifacts, tmp_path: Path, folder: str
) -> None:
    # scikit-learn is in the development virtualenv (training, tests) and ships in neither function.
    assert importlib.util.find_spec("sklearn") is not None, "the proof needs a library the dev venv has"
    artifact = copy_of(artifacts, folder, tmp_path)
    assert not (artifact.task_root / "sklearn").exists()
    (artifact.task_root / folder / "uses_sklearn.py").write_text(
        "import sklearn\n\n\ndef lambda_handler(event, context):\n    return sklearn.__version__\n"
    )
    error = init_error(artifacts, artifact, tmp_path, handler=f"{folder}.uses_sklearn.lambda_handler")
    assert error.error_type == "Runtime.ImportModuleError", error
    assert "No module named 'sklearn'" in error.json()["errorMessage"], error

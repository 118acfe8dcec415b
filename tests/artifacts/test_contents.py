"""What the artifacts hold: a ZIP function within Lambda's unzipped limit, and every native
library and wheel built for Lambda's Python (cp313 or the stable ABI) and the function's
architecture (manylinux)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from stacks.workloads import WORKLOAD_NAMES
from tests.infra.test_packaging import ELF_MACHINE, _elf_machine
from tests.support.artifacts import Artifacts
from tools.artifacts import ZIP_UNZIPPED_LIMIT_BYTES

CP = "cp" + LAMBDA_PYTHON_VERSION.replace(".", "")  # cp313
GNU_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
_EXTENSION_TAG = re.compile(r"\.cpython-(\d+)-([\w-]+)\.so$")


def test_every_zip_function_is_within_lambdas_unzipped_limit(artifacts: Artifacts) -> None:
    zips = [folder for folder, fn in artifacts.functions.items() if fn.package_type == "Zip"]
    assert zips, "the mask predictor at least is a ZIP function"
    for folder in zips:
        artifact = artifacts[folder]
        assert 0 < artifact.size_bytes < ZIP_UNZIPPED_LIMIT_BYTES, (folder, artifact.size_bytes)


def _shared_objects(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and (p.name.endswith(".so") or ".so." in p.name)]


@pytest.mark.parametrize("folder", WORKLOAD_NAMES)
def test_native_code_is_for_lambdas_python_and_architecture(artifacts: Artifacts, folder: str) -> None:
    artifact = artifacts[folder]
    architecture = artifact.function.architecture
    libraries = _shared_objects(artifact.task_root)
    assert libraries, f"{folder}: no shared objects at all? (every function ships a native wheel)"
    wrong = []
    for library in libraries:
        if _elf_machine(library) != ELF_MACHINE[architecture]:
            wrong.append(f"{library.name}: ELF machine {_elf_machine(library):#x}")
        tagged = _EXTENSION_TAG.search(library.name)
        if tagged and (tagged.group(1) != CP[2:] or tagged.group(2) != f"{GNU_MACHINE[architecture]}-linux-gnu"):
            wrong.append(f"{library.name}: an extension for another Python or platform")
    assert not wrong, f"{folder}: {wrong}"

    for wheel in artifact.task_root.glob("*.dist-info/WHEEL"):
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
        assert tags, wheel
        for tag in tags:
            python, abi, platform = tag.split("-")
            assert python.startswith("py") or python == CP or (abi == "abi3" and python.startswith("cp3")), (wheel, tag)
            assert abi in ("none", "abi3", CP), (wheel, tag)
            assert platform == "any" or (
                platform.startswith("manylinux") and platform.endswith(GNU_MACHINE[architecture])
            ), (wheel, tag)

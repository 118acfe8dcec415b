"""What the mask predictor's ZIP and model layer really contain, read from the staged assets."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from aws_cdk import Stack
from aws_cdk.assertions import Template

from stacks.common.packages import PYTHON_VERSION, SHARED_PACKAGE_DIR, shared_package_fingerprint
from stacks.common.paths import REPO_ROOT
from tools.cdk_context import cdk_synth_context
from tools.cloud_assembly import CloudAssembly, FunctionDefinition, directory_sizes

Synth = tuple[Stack, Template]
ZIP_LIMIT_BYTES = 3 * 1024 * 1024
CPYTHON_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")  # the ABI tag of Lambda's interpreter
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}
TRAINING_ONLY = ("sklearn", "sklearn_crfsuite", "scipy", "numpy", "joblib", "pandas", "torch")


def mask_function(synth: Synth) -> FunctionDefinition:
    stack, _ = synth
    return CloudAssembly(Path(stack.node.root.outdir)).function("mask_predictor")


def test_zip_holds_crfsuite_and_code_but_no_training_libraries_or_model(dev_mask: Synth) -> None:
    code_dir = mask_function(dev_mask).code_asset_dir
    assert code_dir is not None
    top_level = {path.name for path in code_dir.iterdir()}
    assert {"mask_predictor", "pycrfsuite"} <= top_level
    assert (code_dir / "mask_predictor" / "handler.py").is_file()
    assert (code_dir / "lambda_common" / "errors.py").is_file(), "the shared package ships beside the function's"
    assert not list((code_dir / "lambda_common").rglob("__pycache__"))
    assert not any(name.split("-")[0] in TRAINING_ONLY for name in top_level), top_level
    assert not (code_dir / "mask_predictor" / "model").exists(), "the model ships in its layer"
    assert not list(code_dir.rglob("*.pkl")) and not list(code_dir.rglob("*.joblib"))
    build_sources = [p.name for p in code_dir.rglob("*") if p.suffix in (".pyx", ".pxd", ".c", ".cpp", ".h", ".hpp")]
    assert build_sources == [], "extension sources are pruned from the ZIP"


def test_model_layer_holds_the_crfsuite_model_under_its_mount_folder(dev_mask: Synth) -> None:
    (layer_dir,) = mask_function(dev_mask).layer_asset_dirs
    assert sorted(path.name for path in (layer_dir / "mask_predictor_model").iterdir()) == [
        "mask_crf.crfsuite",
        "model.json",
    ]


def test_zip_and_layer_together_stay_under_3_mb_zipped(dev_mask: Synth) -> None:
    fn = mask_function(dev_mask)
    assert fn.code_asset_dir is not None
    zipped = sum(directory_sizes(path)[1] for path in (fn.code_asset_dir, *fn.layer_asset_dirs))
    assert zipped < ZIP_LIMIT_BYTES, f"{zipped / 1_048_576:.2f} MB"


def _crfsuite_extension(code_dir: Path) -> Path:
    (extension,) = (code_dir / "pycrfsuite").glob("_pycrfsuite*.so")
    return extension


def _elf_machine(path: Path) -> int:
    with path.open("rb") as binary:
        header = binary.read(20)
    assert header[:4] == b"\x7fELF", f"{path.name} is not a Linux shared object"
    return struct.unpack_from("<H", header, 18)[0]


def test_native_wheel_matches_lambda_python_and_x86_64(dev_mask: Synth) -> None:
    extension = _crfsuite_extension(mask_function(dev_mask).code_asset_dir)
    assert f"{CPYTHON_TAG}-x86_64-linux-gnu" in extension.name
    assert _elf_machine(extension) == ELF_MACHINE["x86_64"]


def test_native_wheel_follows_arm64_setting(tuned_mask: Synth) -> None:
    extension = _crfsuite_extension(mask_function(tuned_mask).code_asset_dir)
    assert f"{CPYTHON_TAG}-aarch64-linux-gnu" in extension.name
    assert _elf_machine(extension) == ELF_MACHINE["arm64"]


def test_the_shared_package_is_part_of_the_zip_assets_hash(tmp_path: Path) -> None:
    # CDK hashes only functions/<folder> and the bundling options: lambda_common's fingerprint
    # (one of those options) is what makes a change to it produce a new asset.
    shared = tmp_path / "lambda_common"
    shutil.copytree(SHARED_PACKAGE_DIR, shared, ignore=shutil.ignore_patterns("__pycache__"))
    before = shared_package_fingerprint(shared)
    assert before == shared_package_fingerprint(SHARED_PACKAGE_DIR)
    (shared / "__pycache__").mkdir()
    (shared / "__pycache__" / "errors.cpython-314.pyc").write_bytes(b"cache")
    assert shared_package_fingerprint(shared) == before, "caches are not shipped, so not hashed"
    with (shared / "errors.py").open("a") as file:
        file.write("# changed\n")
    assert shared_package_fingerprint(shared) != before


def test_the_zip_assets_hash_does_not_depend_on_where_the_repository_is(tmp_path: Path) -> None:
    """Bundling options enter CDK's asset hash: a path of this checkout in them would give every
    clone its own hash, and every deploy from another folder a new function version."""
    elsewhere = tmp_path / "another.checkout"
    for name in ("app.py", "cdk.json"):
        elsewhere.mkdir(exist_ok=True)
        shutil.copy(REPO_ROOT / name, elsewhere / name)
    for name in ("stacks", "functions", "tools"):
        shutil.copytree(REPO_ROOT / name, elsewhere / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    keys = [_zip_code_keys(root, tmp_path / f"out-{n}") for n, root in enumerate((REPO_ROOT, elsewhere))]
    assert keys[0] == keys[1] and keys[0], keys


def _zip_code_keys(root: Path, outdir: Path) -> list[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": f"{root / 'functions'}{os.pathsep}{root}",
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(cdk_synth_context("dev", repo_root=root)),
    }
    subprocess.run([sys.executable, "app.py"], cwd=root, env=environment, check=True, capture_output=True)
    template = json.loads((outdir / "MaskPredictor-dev.template.json").read_text())
    return sorted(
        resource["Properties"]["Code"]["S3Key"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function" and "S3Key" in resource["Properties"].get("Code", {})
    )

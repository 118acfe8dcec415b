"""Paths of the committed model and data, and a way to run the training command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stacks.common.paths import REPO_ROOT

MODEL_DIR = REPO_ROOT / "functions" / "mask_predictor" / "model"
DATA_PATH = REPO_ROOT / "training" / "mask_predictor" / "data" / "masks.tsv"


def run_python(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python <args>` from the repository root, with the Makefile's PYTHONPATH."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "functions"), str(REPO_ROOT)])}
    environment.update(env or {})
    command = [sys.executable, *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=timeout)


def train_mask_predictor(data: Path, output_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`python -m training.mask_predictor.train --data <data> --output-dir <output_dir> <options>`."""
    return run_python(
        "-m", "training.mask_predictor.train", "--data", str(data), "--output-dir", str(output_dir), *options
    )

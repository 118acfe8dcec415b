"""Writing the model directory: `mask_crf.crfsuite` + `model.json`, each replaced atomically.

Both files are first written as temporary files in the output directory and then renamed
over the old ones (rename is atomic within a directory), model first, metadata last. A reader
never sees a half-written file; a reader between the two renames sees a model whose sha256
differs from model.json, which the predictor refuses to load rather than serve it.
No timestamps or paths go into model.json, so the same data and parameters give the same
bytes in both files.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mask_predictor.predictor import METADATA_FILE_NAME, MODEL_FILE_NAME
from stacks.common.paths import REPO_ROOT

DEFAULT_OUTPUT_DIR = REPO_ROOT / "functions" / "mask_predictor" / "model"


@contextlib.contextmanager
def temporary_model_file(output_dir: Path) -> Iterator[Path]:
    """A fresh path in `output_dir` for CRFsuite to write to; removed unless published."""
    output_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{MODEL_FILE_NAME}.", suffix=".tmp", dir=output_dir)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def publish(*, trained_model: Path, metadata: dict[str, Any], output_dir: Path) -> tuple[Path, Path]:
    """Move the trained model file into place and write model.json next to it."""
    model_path = output_dir / MODEL_FILE_NAME
    metadata_path = output_dir / METADATA_FILE_NAME
    handle, name = tempfile.mkstemp(prefix=f".{METADATA_FILE_NAME}.", suffix=".tmp", dir=output_dir)
    temporary_metadata = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())
        _fsync(trained_model)
        # mkstemp creates 0600 files; the model ships in a layer and must be world-readable.
        trained_model.chmod(0o644)
        temporary_metadata.chmod(0o644)
        os.replace(trained_model, model_path)
        os.replace(temporary_metadata, metadata_path)
    finally:
        temporary_metadata.unlink(missing_ok=True)
    return model_path, metadata_path

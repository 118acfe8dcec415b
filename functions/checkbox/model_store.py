"""Where the model comes from: the image (MODEL_PATH) or S3 (MODEL_S3_URI).

With MODEL_S3_URI the .onnx object is downloaded once per cold start under the temporary
directory (/tmp in Lambda: the only writable path) as model.onnx, with the labels.json
beside it in the bucket when there is one, then loaded exactly as a baked-in model is.
The function's role may read only those two objects (no s3:ListBucket), so S3 answers a
missing labels.json with 403 rather than 404: both mean "no labels file". The download itself
(boto3 imported only then) is lambda_common.s3_download.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from checkbox.config import LABELS_FILE, FunctionConfig, ModelObject
from lambda_common.errors import ModelError
from lambda_common.s3_download import NOT_FOUND_CODES, S3DownloadError, download_file, s3_client

DOWNLOAD_DIR_NAME = "checkbox-model"
MODEL_FILE = "model.onnx"
_ABSENT = (*NOT_FOUND_CODES, "403", "AccessDenied", "Forbidden")


def download_model(location: ModelObject, destination: Path, *, client: Any = None) -> Path:
    """Download the model (as destination/model.onnx) and labels.json if present; the model's path."""
    s3 = s3_client(client)
    destination.mkdir(parents=True, exist_ok=True)
    for key, name, required in ((location.key, MODEL_FILE, True), (location.labels_key, LABELS_FILE, False)):
        try:
            download_file(s3, bucket=location.bucket, key=key, destination=destination / name)
        except S3DownloadError as error:
            if not required and error.code in _ABSENT:
                (destination / name).unlink(missing_ok=True)  # no stale labels from an earlier model
                continue
            if error.not_found:
                raise ModelError(f"s3://{location.bucket}/{key} does not exist: check MODEL_S3_URI") from error
            raise ModelError(str(error)) from error
    return destination / MODEL_FILE


def resolve_model_path(config: FunctionConfig) -> Path:
    """The model file to load: MODEL_PATH, or MODEL_S3_URI downloaded under /tmp."""
    if config.model_s3 is not None:
        return download_model(config.model_s3, Path(tempfile.gettempdir()) / DOWNLOAD_DIR_NAME)
    return config.model_path

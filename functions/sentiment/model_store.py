"""Where the model directory comes from: the image (MODEL_DIR) or an S3 prefix (MODEL_S3_URI).

With MODEL_S3_URI the four artifact files are downloaded once per cold start into a directory
under the temporary directory (/tmp in Lambda: the only writable path), then loaded exactly as
a baked-in model is, checksum included. The download itself (boto3 imported only then) is
lambda_common.s3_download.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from lambda_common.errors import ModelError
from lambda_common.s3_download import S3DownloadError, download_file, s3_client
from sentiment.config import FunctionConfig, S3Location
from sentiment.model_layout import ARTIFACT_FILES

DOWNLOAD_DIR_NAME = "sentiment-model"


def download_model(location: S3Location, destination: Path, *, client: Any = None) -> Path:
    """Download model.onnx, tokenizer.json, labels.json and model.json into `destination`."""
    s3 = s3_client(client)
    destination.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACT_FILES:
        key = location.key(name)
        try:
            download_file(s3, bucket=location.bucket, key=key, destination=destination / name)
        except S3DownloadError as error:
            if error.not_found:
                raise ModelError(
                    f"s3://{location.bucket}/{key} does not exist: MODEL_S3_URI must name a"
                    f" prefix holding {', '.join(ARTIFACT_FILES)}"
                ) from error
            raise ModelError(str(error)) from error
    return destination


def resolve_model_dir(config: FunctionConfig) -> Path:
    """The directory to load: MODEL_DIR, or MODEL_S3_URI downloaded under /tmp."""
    if config.model_s3 is not None:
        return download_model(config.model_s3, Path(tempfile.gettempdir()) / DOWNLOAD_DIR_NAME)
    assert config.model_dir is not None  # FunctionConfig requires one of the two
    return config.model_dir

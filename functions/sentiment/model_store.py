"""Where the model directory comes from: the image (MODEL_DIR) or an S3 prefix (MODEL_S3_URI).

With MODEL_S3_URI the four artifact files are downloaded once per cold start into a directory
under the temporary directory (/tmp in Lambda: the only writable path), then loaded exactly as
a baked-in model is, checksum included. boto3 (provided by the Lambda Python base image) is
imported only on this path, so a baked-in model costs no SDK import at cold start.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sentiment.config import FunctionConfig, S3Location
from sentiment.errors import ModelError
from sentiment.inference import ARTIFACT_FILES

DOWNLOAD_DIR_NAME = "sentiment-model"


def download_model(location: S3Location, destination: Path, *, client: Any = None) -> Path:
    """Download model.onnx, tokenizer.json, labels.json and model.json into `destination`."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = client if client is not None else boto3.client("s3")
    destination.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACT_FILES:
        key = location.key(name)
        partial = destination / f".{name}.partial"
        try:
            s3.download_file(location.bucket, key, str(partial))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise ModelError(f"s3://{location.bucket}/{key} does not exist: MODEL_S3_URI must name a"
                                 f" prefix holding {', '.join(ARTIFACT_FILES)}") from error
            raise ModelError(f"cannot download s3://{location.bucket}/{key}: {code or error}") from error
        except BotoCoreError as error:
            raise ModelError(f"cannot download s3://{location.bucket}/{key}: {error}") from error
        os.replace(partial, destination / name)
    return destination


def resolve_model_dir(config: FunctionConfig) -> Path:
    """The directory to load: MODEL_DIR, or MODEL_S3_URI downloaded under /tmp."""
    if config.model_s3 is not None:
        return download_model(config.model_s3, Path(tempfile.gettempdir()) / DOWNLOAD_DIR_NAME)
    assert config.model_dir is not None  # FunctionConfig requires one of the two
    return config.model_dir

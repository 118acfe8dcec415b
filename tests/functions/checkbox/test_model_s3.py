"""MODEL_S3_URI: the model (and a labels.json beside it, when there is one) downloaded from S3
to /tmp at cold start, against a real S3 server (moto's, on loopback) through the unmodified
boto3 client the function uses."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from checkbox.config import ModelObject
from checkbox.detector import Detector
from checkbox.model_store import DOWNLOAD_DIR_NAME, download_model
from lambda_common.errors import ModelError
from tests.support.artifacts import Artifacts
from tests.support.checkbox import FUNCTION_ENVIRONMENT, TINY_MODEL
from tests.support.runtime_images import run_checkbox

KEY = "checkbox/v3/best.onnx"
LABELS_KEY = "checkbox/v3/labels.json"


@pytest.fixture
def model_bucket(aws_environment: dict[str, str]) -> str:
    bucket = f"models-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.upload_file(str(TINY_MODEL), bucket, KEY)
    return bucket


def test_the_model_downloads_and_loads_as_the_same_model(model_bucket: str, tmp_path: Path) -> None:
    destination = tmp_path / "download"
    path = download_model(ModelObject(bucket=model_bucket, key=KEY), destination)
    assert path == destination / "model.onnx"
    assert sorted(p.name for p in destination.iterdir()) == ["model.onnx"]  # no labels.json there, no partial files
    assert path.read_bytes() == TINY_MODEL.read_bytes()
    identity = Detector.load(path, intra_op_threads=1).identity
    assert (identity.class_names, identity.class_names_source) == (("checked", "unchecked"), "metadata")


def test_a_labels_file_beside_the_object_comes_along_and_wins(model_bucket: str, tmp_path: Path) -> None:
    boto3.client("s3").put_object(Bucket=model_bucket, Key=LABELS_KEY, Body=json.dumps(["ticked", "empty"]).encode())
    path = download_model(ModelObject(bucket=model_bucket, key=KEY), tmp_path / "download")
    assert sorted(p.name for p in path.parent.iterdir()) == ["labels.json", "model.onnx"]
    identity = Detector.load(path, intra_op_threads=1).identity
    assert (identity.class_names, identity.class_names_source) == (("ticked", "empty"), "labels.json")


def test_a_missing_object_is_named(model_bucket: str, tmp_path: Path) -> None:
    with pytest.raises(
        ModelError, match=rf"s3://{model_bucket}/checkbox/v4/best.onnx does not exist: check MODEL_S3_URI"
    ):
        download_model(ModelObject(bucket=model_bucket, key="checkbox/v4/best.onnx"), tmp_path / "download")
    assert not list((tmp_path / "download").iterdir())


def test_a_missing_bucket_is_named(aws_environment: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="s3://no-such-bucket-here/model.onnx"):
        download_model(ModelObject(bucket="no-such-bucket-here", key="model.onnx"), tmp_path / "download")


def test_a_cold_start_with_model_s3_uri_downloads_to_tmp_and_serves(
    artifacts: Artifacts, model_bucket: str, aws_environment: dict[str, str], tmp_path: Path
) -> None:
    boto3.client("s3").put_object(Bucket=model_bucket, Key=LABELS_KEY, Body=b'{"0": "ticked", "1": "empty"}')
    temporary = tmp_path / "lambda-tmp"
    temporary.mkdir()
    environment = {key: value for key, value in FUNCTION_ENVIRONMENT.items() if key != "MODEL_PATH"}
    result = run_checkbox(
        {
            **environment,
            **aws_environment,
            "MODEL_PATH": "/var/task/checkbox_model/model.onnx",  # the image's, absent here
            "MODEL_S3_URI": f"s3://{model_bucket}/{KEY}",
            "TMPDIR": str(temporary),
        },
        artifacts,
    )
    health, _, predict, _ = result["answers"]
    model = json.loads(health["body"])["model"]
    assert model["source"] == f"s3://{model_bucket}/{KEY}"
    assert model["path"] == str(temporary / DOWNLOAD_DIR_NAME / "model.onnx")
    assert (model["class_names"], model["class_names_source"]) == (["ticked", "empty"], "labels.json")
    assert sorted(p.name for p in (temporary / DOWNLOAD_DIR_NAME).iterdir()) == ["labels.json", "model.onnx"]
    assert predict["statusCode"] == 200
    assert "boto3" in {name.split(".")[0] for name in result["modules"]}  # imported on this path only

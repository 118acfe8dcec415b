"""MODEL_S3_URI: the model downloaded from S3 to /tmp at cold start, against a real S3 server
(moto's, on loopback) through the unmodified boto3 client the function uses."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

from lambda_common.errors import ModelError
from sentiment.config import S3Location
from sentiment.inference import ARTIFACT_FILES, SentimentModel
from sentiment.model_store import DOWNLOAD_DIR_NAME, download_model
from tests.support.artifacts import Artifacts
from tests.support.runtime_images import run_sentiment
from tests.support.sentiment import FUNCTION_ENVIRONMENT

PREFIX = "sentiment/v1/"


@pytest.fixture
def model_bucket(aws_environment: dict[str, str], fixture_model_dir: Path) -> str:
    bucket = f"models-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for name in ARTIFACT_FILES:
        s3.upload_file(str(fixture_model_dir / name), bucket, PREFIX + name)
    return bucket


def test_the_four_artifacts_are_downloaded_and_load_as_the_same_model(
    model_bucket: str, fixture_model_dir: Path, tmp_path: Path, model: SentimentModel
) -> None:
    destination = tmp_path / "download"
    loaded_from = download_model(S3Location.parse(f"s3://{model_bucket}/{PREFIX}"), destination)
    assert loaded_from == destination
    assert sorted(path.name for path in destination.iterdir()) == sorted(ARTIFACT_FILES)  # no partial files left
    for name in ARTIFACT_FILES:
        assert (destination / name).read_bytes() == (fixture_model_dir / name).read_bytes()
    downloaded = SentimentModel.load(destination, intra_op_threads=1, batch_size=4)
    assert downloaded.identity == model.identity


def test_a_prefix_missing_an_artifact_is_named(model_bucket: str, tmp_path: Path) -> None:
    boto3.client("s3").delete_object(Bucket=model_bucket, Key=PREFIX + "labels.json")
    with pytest.raises(ModelError, match=rf"s3://{model_bucket}/{PREFIX}labels.json does not exist"):
        download_model(S3Location.parse(f"s3://{model_bucket}/{PREFIX}"), tmp_path / "download")


def test_a_missing_bucket_is_named(aws_environment: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="s3://no-such-bucket-here/x/model.onnx"):
        download_model(S3Location.parse("s3://no-such-bucket-here/x/"), tmp_path / "download")


def test_a_cold_start_with_model_s3_uri_downloads_to_tmp_and_serves(
    artifacts: Artifacts, model_bucket: str, aws_environment: dict[str, str], tmp_path: Path, model: SentimentModel
) -> None:
    temporary = tmp_path / "lambda-tmp"
    temporary.mkdir()
    environment = {key: value for key, value in FUNCTION_ENVIRONMENT.items() if key != "MODEL_DIR"}
    result = run_sentiment(
        {
            **environment,
            **aws_environment,
            "MODEL_S3_URI": f"s3://{model_bucket}/sentiment/v1",
            "TMPDIR": str(temporary),
        },
        artifacts,
    )
    predict, health = result["answers"][:2]
    assert health["body"]["model_source"] == f"s3://{model_bucket}/{PREFIX}"
    assert health["body"]["model"] == model.identity.as_dict()
    assert sorted(path.name for path in (temporary / DOWNLOAD_DIR_NAME).iterdir()) == sorted(ARTIFACT_FILES)
    expected = [p.as_dict() for p in model.predict(["I love this!", "This is terrible", ""])]
    assert [r["sentiment"] for r in predict["body"]["results"]] == [r["sentiment"] for r in expected]
    assert "boto3" in {name.split(".")[0] for name in result["modules"]}

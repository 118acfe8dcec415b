"""Fixtures for the batch predictor: a real S3 server (moto's, on loopback, one per test
module) with the function's three buckets, the handler imported as Lambda would import it
against that server, models trained here with scikit-learn, and data in every format."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from tests.support.batch_predict import (
    DATA_BUCKET,
    FEATURES,
    FUNCTION_ENVIRONMENT,
    FUNCTION_NAME,
    MODEL_BUCKET,
    REGION,
    RESULTS_BUCKET,
    UNSET_VARIABLES,
    s3_environment,
    training_table,
)
from tests.support.handlers import import_handler
from tests.support.lambda_invoke_server import LocalLambdaContext


@pytest.fixture(scope="module")
def function_environment(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The function's and boto3's environment, set for the whole test module."""
    environment = {**FUNCTION_ENVIRONMENT, **s3_environment(s3_endpoint, tmp_path_factory.mktemp("lambda-tmp"))}
    with pytest.MonkeyPatch.context() as patch:
        for name in UNSET_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        patch.setattr(tempfile, "tempdir", None)  # make tempfile read TMPDIR again
        yield environment


@pytest.fixture(scope="module")
def s3(function_environment: dict[str, str]) -> Any:
    """A test's own S3 client, with the function's three buckets created (moto keeps its state
    per process, so another module's server may have created them already)."""
    client = boto3.client("s3")
    for bucket in (MODEL_BUCKET, DATA_BUCKET, RESULTS_BUCKET):
        try:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
    return client


@pytest.fixture(scope="module")
def handler(s3: Any) -> ModuleType:
    """`batch_predict.handler`, imported (its cold start run) against this module's S3 server."""
    return import_handler("batch_predict.handler")  # reloaded if another module imported it, for another server


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext.create(function_name=FUNCTION_NAME, region_name=REGION, memory_limit_in_mb=2048)


@pytest.fixture(scope="session")
def classifier() -> LogisticRegression:
    """Fitted on a named table: it has feature_names_in_ and three string classes."""
    table, labels, _ = training_table()
    return LogisticRegression(max_iter=500).fit(table, labels)


@pytest.fixture(scope="session")
def regressor() -> Ridge:
    table, _, target = training_table()
    return Ridge(alpha=0.5).fit(table, target)


@pytest.fixture(scope="session")
def unnamed_classifier() -> LogisticRegression:
    """Fitted on a bare array: no feature names, so requests must say feature_columns."""
    table, labels, _ = training_table()
    return LogisticRegression(max_iter=500).fit(np.column_stack([table[name].to_numpy() for name in FEATURES]), labels)

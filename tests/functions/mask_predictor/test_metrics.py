"""The hand-written CloudWatch Embedded Metric Format writer."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from mask_predictor.metrics import (
    INTERNAL_ERRORS,
    METRIC_NAMES,
    NAMES_PREDICTED,
    VALIDATION_ERRORS,
    MetricsWriter,
    emf_record,
)
from tools.local_lambda import LocalLambdaContext


def assert_valid_emf(record: dict) -> None:
    """The EMF specification's rules for one log event."""
    metadata = record["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000  # epoch ms
    directives = metadata["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for directive in directives:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for dimension in dimension_set:
                assert isinstance(record[dimension], str), f"dimension {dimension} needs a string value"
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            assert set(metric) <= {"Name", "Unit", "StorageResolution"}
            assert isinstance(record[metric["Name"]], (int, float)), f"metric {metric['Name']} needs a number"


def test_writer_emits_one_valid_emf_json_line() -> None:
    stream = io.StringIO()
    writer = MetricsWriter(namespace="MlInference", service="mask_predictor", stream=stream)
    before = int(time.time() * 1000)

    writer.publish({NAMES_PREDICTED: 7}, properties={"request_id": "abc-123"})

    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    record = json.loads(text)
    assert_valid_emf(record)
    assert record["_aws"]["Timestamp"] >= before
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "MlInference"
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [
        {"Name": "NamesPredicted", "Unit": "Count"},
        {"Name": "ValidationErrors", "Unit": "Count"},
        {"Name": "InternalErrors", "Unit": "Count"},
    ]
    assert record["service"] == "mask_predictor"
    assert (record[NAMES_PREDICTED], record[VALIDATION_ERRORS], record[INTERNAL_ERRORS]) == (7, 0, 0)
    assert record["request_id"] == "abc-123"


def test_record_has_every_metric_even_when_zero() -> None:
    record = emf_record(namespace="N", service="s", counts={}, timestamp_ms=1_700_000_000_000)

    assert_valid_emf(record)
    assert all(record[name] == 0 for name in METRIC_NAMES)


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        emf_record(namespace="N", service="s", counts={"Typo": 1}, timestamp_ms=1)


def test_properties_cannot_override_metrics_or_dimension() -> None:
    record = emf_record(
        namespace="N",
        service="s",
        counts={INTERNAL_ERRORS: 1},
        timestamp_ms=1_700_000_000_000,
        properties={"service": "spoofed", INTERNAL_ERRORS: 99},
    )

    assert record["service"] == "s" and record[INTERNAL_ERRORS] == 1


def test_handler_writes_valid_emf_per_invocation(
    handler: ModuleType, context: LocalLambdaContext, emf_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    emf_lines()
    handler.lambda_handler({"mask_name": "3M 8210 N95"}, context)

    (record,) = emf_lines()
    assert_valid_emf(record)
    assert record[NAMES_PREDICTED] == 1

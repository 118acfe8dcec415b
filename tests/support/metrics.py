"""The CloudWatch metrics (Embedded Metric Format lines) a function prints on stdout."""

from __future__ import annotations

import json
from typing import Any


def emitted_metrics(stdout: str) -> dict[str, dict[str, Any]]:
    """The EMF metrics printed on stdout: metric name -> {"value", "dimensions", "namespace", ...}."""
    found: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            for metric in directive["Metrics"]:
                found[metric["Name"]] = {
                    "value": document[metric["Name"]],
                    "unit": metric["Unit"],
                    "namespace": directive["Namespace"],
                    "dimensions": dimensions,
                }
    return found


def emf_records(stdout: str) -> list[dict[str, Any]]:
    """Every non-blank stdout line as JSON (for a function whose every stdout line is an EMF record)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]

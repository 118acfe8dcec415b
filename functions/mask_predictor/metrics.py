"""Custom metrics as CloudWatch Embedded Metric Format (EMF): one JSON line per invocation.

Hand-written on purpose: Powertools' Metrics would do this, but importing Powertools alone
measured 45-100 ms here, and this function's whole cold start budget (import + model load +
first prediction) is 100 ms. EMF is a documented, stable JSON shape, so a few lines suffice:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

CloudWatch Logs extracts the metrics from the line Lambda writes to the function's log group.
The line goes to stdout as it is (not through `logging`): with Lambda's JSON log format a
logging record would be wrapped in another JSON object and no longer be EMF.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping

from lambda_common.metric_names import INTERNAL_ERRORS, NAMES_PREDICTED, VALIDATION_ERRORS

TYPE_CHECKING = False  # annotations only; see handler.py
if TYPE_CHECKING:
    from typing import TextIO

METRIC_NAMES = (NAMES_PREDICTED, VALIDATION_ERRORS, INTERNAL_ERRORS)
SERVICE_DIMENSION = "service"


def emf_record(
    *,
    namespace: str,
    service: str,
    counts: Mapping[str, int],
    timestamp_ms: int,
    properties: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """One EMF object with every metric of METRIC_NAMES (absent counts are 0).

    Zeros are emitted too, so alarms and dashboards see "no errors" rather than "no data".
    `properties` are searchable in Logs Insights but are not metrics or dimensions.
    """
    unknown = set(counts) - set(METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metric(s) {sorted(unknown)}; known: {list(METRIC_NAMES)}")
    record: dict[str, object] = dict(properties or {})
    record["_aws"] = {
        "Timestamp": timestamp_ms,
        "CloudWatchMetrics": [
            {
                "Namespace": namespace,
                "Dimensions": [[SERVICE_DIMENSION]],
                "Metrics": [{"Name": name, "Unit": "Count"} for name in METRIC_NAMES],
            }
        ],
    }
    record[SERVICE_DIMENSION] = service
    for name in METRIC_NAMES:
        record[name] = counts.get(name, 0)
    return record


class MetricsWriter:
    """Writes one EMF line per invocation to a stream (stdout in Lambda)."""

    def __init__(self, *, namespace: str, service: str, stream: TextIO | None = None) -> None:
        self.namespace = namespace
        self.service = service
        self._stream = stream

    def publish(self, counts: Mapping[str, int], *, properties: Mapping[str, object] | None = None) -> None:
        record = emf_record(
            namespace=self.namespace,
            service=self.service,
            counts=counts,
            timestamp_ms=int(time.time() * 1000),
            properties=properties,
        )
        # Resolved per call so test capture (and local tools redirecting stdout) see the line.
        stream = self._stream or sys.stdout
        stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        stream.flush()

"""What the embedded S3 holds at start, per function, and the example requests that use it.

Every bucket a function's environment names (resolved locally by template_values.py) is
created. The batch predictor also gets a demo model and a sample CSV under its model and data
prefixes (from fixtures/batch_predict/), and an example event that predicts the CSV into its
results prefix: this module is the one place the batch predictor's local demo is described.
The checkbox detector's uploads bucket starts empty: its POST /uploads presigns PUTs into it,
and since a worker's AWS_ENDPOINT_URL_S3 is the embedded S3 (environment.py), the presigned
URLs point there, on loopback.

The same buckets also hold what the committed events in events/batch_predict/ name (they name
the dev template's local bucket names), so each of them runs as given against `make serve`'s
and `make invoke`'s embedded S3 (and against `make batch-local-s3`, which seeds this layout):

  <models>/models/model.skops, model.onnx, model.joblib (refused: not under a trusted prefix)
  <models>/models/trusted/model.joblib                  (the trusted pickle prefix)
  <data>/input/sample.csv, input/daily/2026-11-23.csv, input/daily/2026-11-24.csv
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stacks.common.paths import REPO_ROOT
from tools.local_serve.catalog import ServedFunction
from tools.local_serve.embedded_s3 import ObjectSource

BATCH_FIXTURES = REPO_ROOT / "fixtures" / "batch_predict"
# The days of data under <data prefix>daily/ that events/batch_predict/*prefix*, *s3_objects* name.
DAILY_FILES = ("2026-11-23.csv", "2026-11-24.csv")
TRIGGER_MODEL = "TRIGGER_MODEL_S3_URI"


@dataclass(frozen=True)
class DemoData:
    environment: dict[str, str]  # values for the variables the template leaves to deploy time
    buckets: dict[str, dict[str, ObjectSource]]  # bucket -> key -> content
    example_event: dict[str, Any] | None = None  # a direct invoke that uses the objects
    notes: list[str] = field(default_factory=list)
    # Optional settings the template leaves unset that the sample events need (the batch
    # predictor's S3 trigger model, for events/batch_predict/s3_notification.json).
    local_settings: dict[str, str] = field(default_factory=dict)


def demo_data_for(served: ServedFunction) -> DemoData:
    environment = dict(served.deploy_time_values)
    buckets: dict[str, dict[str, ObjectSource]] = {bucket: {} for bucket in served.buckets}
    if served.folder == "batch_predict":
        declared = {k: v for k, v in served.definition.environment.items() if isinstance(v, str)}
        return _batch_predict({**declared, **environment}, environment, buckets)
    return DemoData(environment=environment, buckets=buckets)


def batch_predict_demo(values: dict[str, str]) -> DemoData:
    """The batch predictor's demo for these settings (bucket names, prefixes, trusted prefixes),
    e.g. to seed another S3 server (training/batch_predict/local_s3.py)."""
    return _batch_predict(dict(values), {}, {})


def _batch_predict(
    values: dict[str, str], environment: dict[str, str], buckets: dict[str, dict[str, ObjectSource]]
) -> DemoData:
    """The demo model (skops, ONNX; joblib under the first trusted pickle prefix) and CSV,
    under the function's own prefixes, and a job that predicts the CSV into the results."""
    try:
        model_bucket, model_prefix = values["MODEL_BUCKET"], values.get("MODEL_PREFIX", "")
        data_bucket, data_prefix = values["DATA_BUCKET"], values.get("DATA_PREFIX", "")
        results_bucket, results_prefix = values["RESULTS_BUCKET"], values.get("RESULTS_PREFIX", "")
    except KeyError as missing:
        return DemoData(
            environment=environment, buckets=buckets, notes=[f"no demo data: {missing} is not resolved locally"]
        )
    models = buckets.setdefault(model_bucket, {})
    models[f"{model_prefix}demo/model.skops"] = BATCH_FIXTURES / "model.skops"
    models[f"{model_prefix}demo/model.onnx"] = BATCH_FIXTURES / "model.onnx"
    trusted = [uri for uri in values.get("TRUSTED_PICKLE_PREFIXES", "").split(",") if uri.startswith("s3://")]
    if trusted:
        bucket, _, prefix = trusted[0].removeprefix("s3://").partition("/")
        buckets.setdefault(bucket, {})[f"{prefix}demo/model.joblib"] = BATCH_FIXTURES / "model.joblib"
    buckets.setdefault(data_bucket, {})[f"{data_prefix}demo/sample.csv"] = BATCH_FIXTURES / "sample.csv"
    buckets.setdefault(results_bucket, {})
    _event_layout(buckets, values, trusted)
    local_settings = {}
    if TRIGGER_MODEL not in values:
        local_settings[TRIGGER_MODEL] = f"s3://{model_bucket}/{model_prefix}model.skops"
    example = {
        "model_s3_uri": f"s3://{model_bucket}/{model_prefix}demo/model.skops",
        "data_s3_uri": f"s3://{data_bucket}/{data_prefix}demo/sample.csv",
        "output_s3_uri": f"s3://{results_bucket}/{results_prefix}demo/sample-predictions.csv",
        "prediction_column_name": "predicted_value",
        "include_probabilities": True,
        "overwrite": True,  # so the example can run again
    }
    return DemoData(environment=environment, buckets=buckets, example_event=example, local_settings=local_settings)


def _event_layout(buckets: dict[str, dict[str, ObjectSource]], values: dict[str, str], trusted: list[str]) -> None:
    """What the committed events name, under the function's own prefixes."""
    models = buckets.setdefault(values["MODEL_BUCKET"], {})
    model_prefix = values.get("MODEL_PREFIX", "")
    for name in ("model.skops", "model.onnx", "model.joblib"):
        models[f"{model_prefix}{name}"] = BATCH_FIXTURES / name
    if trusted:
        bucket, _, prefix = trusted[0].removeprefix("s3://").partition("/")
        buckets.setdefault(bucket, {})[f"{prefix}model.joblib"] = BATCH_FIXTURES / "model.joblib"
    data = buckets.setdefault(values["DATA_BUCKET"], {})
    data_prefix = values.get("DATA_PREFIX", "")
    data[f"{data_prefix}sample.csv"] = BATCH_FIXTURES / "sample.csv"
    for name in DAILY_FILES:
        data[f"{data_prefix}daily/{name}"] = BATCH_FIXTURES / "sample.csv"

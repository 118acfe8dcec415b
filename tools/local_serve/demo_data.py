"""What the embedded S3 holds at start, per function, and the example requests that use it.

Every bucket a function's environment names (resolved locally by template_values.py) is
created. The batch predictor also gets a demo model and a sample CSV under its model and data
prefixes (from fixtures/batch_predict/), and an example event that predicts the CSV into its
results prefix: this module is the one place the batch predictor's local demo is described.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.local_serve.catalog import ServedFunction
from tools.local_serve.embedded_s3 import ObjectSource

REPO_ROOT = Path(__file__).resolve().parents[2]
BATCH_FIXTURES = REPO_ROOT / "fixtures" / "batch_predict"


@dataclass(frozen=True)
class DemoData:
    environment: dict[str, str]  # values for the variables the template leaves to deploy time
    buckets: dict[str, dict[str, ObjectSource]]  # bucket -> key -> content
    example_event: dict[str, Any] | None = None  # a direct invoke that uses the objects
    notes: list[str] = field(default_factory=list)


def demo_data_for(served: ServedFunction) -> DemoData:
    environment = dict(served.deploy_time_values)
    buckets: dict[str, dict[str, ObjectSource]] = {bucket: {} for bucket in served.buckets}
    if served.folder == "batch_predict":
        declared = {k: v for k, v in served.definition.environment.items() if isinstance(v, str)}
        return _batch_predict({**declared, **environment}, environment, buckets)
    return DemoData(environment=environment, buckets=buckets)


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
        return DemoData(environment=environment, buckets=buckets,
                        notes=[f"no demo data: {missing} is not resolved locally"])  # fmt: skip
    models = buckets.setdefault(model_bucket, {})
    models[f"{model_prefix}demo/model.skops"] = BATCH_FIXTURES / "model.skops"
    models[f"{model_prefix}demo/model.onnx"] = BATCH_FIXTURES / "model.onnx"
    trusted = [uri for uri in values.get("TRUSTED_PICKLE_PREFIXES", "").split(",") if uri.startswith("s3://")]
    if trusted:
        bucket, _, prefix = trusted[0].removeprefix("s3://").partition("/")
        buckets.setdefault(bucket, {})[f"{prefix}demo/model.joblib"] = BATCH_FIXTURES / "model.joblib"
    buckets.setdefault(data_bucket, {})[f"{data_prefix}demo/sample.csv"] = BATCH_FIXTURES / "sample.csv"
    buckets.setdefault(results_bucket, {})
    example = {
        "model_s3_uri": f"s3://{model_bucket}/{model_prefix}demo/model.skops",
        "data_s3_uri": f"s3://{data_bucket}/{data_prefix}demo/sample.csv",
        "output_s3_uri": f"s3://{results_bucket}/{results_prefix}demo/sample-predictions.csv",
        "prediction_column_name": "predicted_value",
        "include_probabilities": True,
        "overwrite": True,  # so the example can run again
    }
    return DemoData(environment=environment, buckets=buckets, example_event=example)

"""One batch job in its own process, so its peak memory is its own: ours or the original.

    python -m benchmarks.batch_predict_job {ours|original} --event event.json --result out.json

Both read the model and the data from the S3 server the standard environment variables name
(AWS_ENDPOINT_URL_S3 ...) and write the predictions back to it. The result file gets the
job's wall time (imports excluded: both pay theirs once per cold start, not per row), the
rows predicted and the process's peak resident memory (what Lambda reports as "Max Memory
Used"), imports included: VmHWM (benchmarks/peak_memory.py), which starts afresh at exec, not
getrusage's ru_maxrss, which this process inherits from the benchmark driver that started it.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.peak_memory import peak_rss_mb


def _split(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def run_original(event: dict[str, Any]) -> tuple[float, int]:
    """The original function: download the model, read the whole object into pandas, predict,
    render the whole CSV in memory and put it (workloads.md §4)."""
    import boto3
    import joblib
    import pandas as pd

    s3 = boto3.client("s3")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        model_path = Path(scratch) / "model.joblib"
        s3.download_file(*_split(event["model_s3_uri"]), str(model_path))
        model = joblib.load(model_path)
    bucket, key = _split(event["data_s3_uri"])
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    frame = pd.read_parquet(io.BytesIO(body)) if key.endswith(".parquet") else pd.read_csv(io.BytesIO(body))
    del body
    frame[event["prediction_column_name"]] = model.predict(frame[event["feature_columns"]])
    output = frame.to_csv(index=False).encode()
    out_bucket, out_key = _split(event["output_s3_uri"])
    s3.put_object(Bucket=out_bucket, Key=out_key, Body=output)
    return time.perf_counter() - started, len(frame)


def run_ours(event: dict[str, Any]) -> tuple[float, int]:
    """The batch predictor's handler, called as Lambda calls it."""
    from batch_predict.handler import lambda_handler
    from tools.local_lambda import LocalLambdaContext

    context = LocalLambdaContext(function_name="batch-predict-bench", memory_limit_in_mb=3008, timeout_seconds=900)
    started = time.perf_counter()
    response = lambda_handler(event, context)
    seconds = time.perf_counter() - started
    if response.get("statusCode") != 200:
        raise RuntimeError(f"the batch predictor failed: {response}")
    return seconds, int(response["body"]["predictions_generated"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("approach", choices=("ours", "original"))
    parser.add_argument("--event", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)
    event = json.loads(args.event.read_text())
    seconds, rows = (run_ours if args.approach == "ours" else run_original)(event)
    args.result.write_text(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak_rss_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

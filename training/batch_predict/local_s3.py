"""Seed a local S3 server (e.g. moto's) with the demo fixtures, laid out as the sample events in
events/batch_predict/ expect, and print the environment `make invoke` needs.

    .venv/bin/moto_server -H 127.0.0.1 -p 5000 &          # a local S3
    python -m training.batch_predict.local_s3 --endpoint-url http://127.0.0.1:5000
    # then export what it prints and: make invoke FN=batch_predict EVENT=events/batch_predict/predict_csv.json

Buckets and keys (LOCAL_ENVIRONMENT holds the matching function environment; the prefixes are
the BatchPredict-dev stack's, so only bucket names and the trusted prefix need setting):
  s3://batch-models-local/models/model.skops, model.onnx   (MODEL_BUCKET/MODEL_PREFIX)
  s3://batch-models-local/models/model.joblib              (refused: not a trusted prefix)
  s3://batch-models-local/models/trusted/model.joblib      (TRUSTED_PICKLE_PREFIXES)
  s3://batch-data-local/input/sample.csv                   (DATA_BUCKET/DATA_PREFIX)
  s3://batch-data-local/input/daily/2026-11-23.csv, 2026-11-24.csv (a prefix of several objects)
  s3://batch-results-local/predictions/                    (RESULTS_BUCKET/RESULTS_PREFIX)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from training.batch_predict.build_fixtures import DEFAULT_OUTPUT, JOBLIB_FILE, ONNX_FILE, SAMPLE_FILE, SKOPS_FILE

MODEL_BUCKET = "batch-models-local"
DATA_BUCKET = "batch-data-local"
RESULTS_BUCKET = "batch-results-local"
LOCAL_ENVIRONMENT = {
    "MODEL_BUCKET": MODEL_BUCKET,
    "MODEL_PREFIX": "models/",
    "DATA_BUCKET": DATA_BUCKET,
    "DATA_PREFIX": "input/",
    "RESULTS_BUCKET": RESULTS_BUCKET,
    "RESULTS_PREFIX": "predictions/",
    "TRUSTED_PICKLE_PREFIXES": f"s3://{MODEL_BUCKET}/models/trusted/",
    "TRIGGER_MODEL_S3_URI": f"s3://{MODEL_BUCKET}/models/{SKOPS_FILE}",
}
# (bucket, key, fixture file)
OBJECTS = (
    (MODEL_BUCKET, f"models/{SKOPS_FILE}", SKOPS_FILE),
    (MODEL_BUCKET, f"models/{ONNX_FILE}", ONNX_FILE),
    (MODEL_BUCKET, f"models/{JOBLIB_FILE}", JOBLIB_FILE),
    (MODEL_BUCKET, f"models/trusted/{JOBLIB_FILE}", JOBLIB_FILE),
    (DATA_BUCKET, f"input/{SAMPLE_FILE}", SAMPLE_FILE),
    (DATA_BUCKET, "input/daily/2026-11-23.csv", SAMPLE_FILE),
    (DATA_BUCKET, "input/daily/2026-11-24.csv", SAMPLE_FILE),
)


def seed(s3: Any, *, fixtures: Path = DEFAULT_OUTPUT, region: str | None = None) -> list[str]:
    """Create the three buckets (if missing) and upload the fixtures; the URIs written."""
    region = region or s3.meta.region_name
    for bucket in (MODEL_BUCKET, DATA_BUCKET, RESULTS_BUCKET):
        try:
            if region and region != "us-east-1":
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
            else:
                s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    written = []
    for bucket, key, name in OBJECTS:
        s3.put_object(Bucket=bucket, Key=key, Body=(fixtures / name).read_bytes())
        written.append(f"s3://{bucket}/{key}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL_S3"), required=not os.environ.get("AWS_ENDPOINT_URL_S3"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint_url,
        region_name=args.region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )
    for uri in seed(s3, region=args.region):
        print(f"uploaded {uri}")
    print("\n# the function's environment for `make invoke` against this server:")
    exports = {
        **LOCAL_ENVIRONMENT,
        "AWS_ENDPOINT_URL_S3": args.endpoint_url,
        "AWS_REGION": args.region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    }
    print("export " + " ".join(f"{name}={value}" for name, value in exports.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

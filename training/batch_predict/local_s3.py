"""Seed any S3 server (e.g. a moto server you started) with the batch predictor's demo data, laid
out as the sample events in events/batch_predict/ expect, and print the environment `make
invoke` needs to use it.

`make invoke FN=batch_predict` no longer needs this: with the bucket variables unset it starts
its own embedded S3 holding the same data. Use it to keep one S3 server across invocations:

    .venv/bin/moto_server -H 127.0.0.1 -p 5000 &          # a local S3
    python -m training.batch_predict.local_s3 --endpoint-url http://127.0.0.1:5000
    # then export what it prints and: make invoke FN=batch_predict EVENT=events/batch_predict/predict_csv.json

The layout is `make serve`'s and `make invoke`'s (tools/local_serve/demo_data.py), with the
BatchPredict-dev stack's local bucket names (its buckets' construct paths, as
tools/local_serve/template_values.py names them) and prefixes:
  s3://batchpredict-dev-buckets-models/models/model.skops, model.onnx   (MODEL_BUCKET/MODEL_PREFIX)
  s3://batchpredict-dev-buckets-models/models/model.joblib              (refused: not a trusted prefix)
  s3://batchpredict-dev-buckets-models/models/trusted/model.joblib      (TRUSTED_PICKLE_PREFIXES)
  s3://batchpredict-dev-buckets-data/input/sample.csv                   (DATA_BUCKET/DATA_PREFIX)
  s3://batchpredict-dev-buckets-data/input/daily/2026-11-23.csv, 2026-11-24.csv (a prefix of several objects)
  s3://batchpredict-dev-buckets-results/predictions/                    (RESULTS_BUCKET/RESULTS_PREFIX)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from tools.local_serve.demo_data import batch_predict_demo

MODEL_BUCKET = "batchpredict-dev-buckets-models"
DATA_BUCKET = "batchpredict-dev-buckets-data"
RESULTS_BUCKET = "batchpredict-dev-buckets-results"
LOCAL_ENVIRONMENT = {
    "MODEL_BUCKET": MODEL_BUCKET,
    "MODEL_PREFIX": "models/",
    "DATA_BUCKET": DATA_BUCKET,
    "DATA_PREFIX": "input/",
    "RESULTS_BUCKET": RESULTS_BUCKET,
    "RESULTS_PREFIX": "predictions/",
    "TRUSTED_PICKLE_PREFIXES": f"s3://{MODEL_BUCKET}/models/trusted/",
    "TRIGGER_MODEL_S3_URI": f"s3://{MODEL_BUCKET}/models/model.skops",
}


def seed(s3: Any, *, region: str | None = None) -> list[str]:
    """Create the buckets (if missing) and upload the demo objects; the URIs written."""
    region = region or s3.meta.region_name
    written = []
    for bucket, objects in batch_predict_demo(LOCAL_ENVIRONMENT).buckets.items():
        try:
            if region and region != "us-east-1":
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
            else:
                s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        for key, source in objects.items():
            body = source.read_bytes() if isinstance(source, Path) else source
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            written.append(f"s3://{bucket}/{key}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_S3"),
        required=not os.environ.get("AWS_ENDPOINT_URL_S3"),
    )
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

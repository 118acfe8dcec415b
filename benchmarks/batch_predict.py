"""Batch predictor: rows per second and peak memory, ours next to the original approach.

    PYTHONPATH=functions:. python -m benchmarks.batch_predict [--rows 100000 1000000] [--data-dir DIR]

Writes benchmarks/results/batch_predict.json and .md. Figures, not tests.

Inputs (benchmarks/batch_predict_data.py): an id column and 20 float64 features, as CSV
(400 MB at 1M rows) and Parquet; a logistic regression and a 100-tree random forest (depth
10), fitted on a DataFrame, saved with joblib under a trusted prefix.

Every job runs in a fresh process (benchmarks/batch_predict_job.py) against the same local
S3 server (moto, its own process, so the objects it holds are not counted), with the same
event: model, data, output CSV, the 20 feature columns.
- original: boto3 reads the whole object, pandas parses it, the model predicts, pandas
  renders the whole CSV in memory and it is put in one request (the code users had).
- ours: the batch predictor's handler (`lambda_handler`), streaming record batches from S3
  through the model into a multipart upload. It runs from what ships, under Lambda's Python
  (3.13): the task root its Dockerfile's install step builds from a fresh synth
  (tools/artifacts.py) and the Lambda runtime's own set (boto3), `-S` so nothing of this
  virtualenv is importable (scikit-learn and skops import pandas or torch whenever they are
  installed, as they are here).
Time is the job's wall time without the imports (model download and load included); peak
memory is the job process's own peak RSS, imports included: VmHWM, which starts afresh at
exec (benchmarks/peak_memory.py). getrusage's ru_maxrss, which earlier figures used, is
inherited through fork + exec and reported this driver's memory instead of the job's.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import joblib

from benchmarks.batch_predict_data import FEATURE_COLUMNS, train_models, write_inputs
from benchmarks.machine import describe_machine
from benchmarks.report import RESULTS_DIR, markdown_table, write_results
from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.artifacts import build_artifact, runtime_provided_set, synthesize
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get

FUNCTION_DIR = REPO_ROOT / "functions" / "batch_predict"
MODEL_BUCKET, DATA_BUCKET, RESULTS_BUCKET = "bench-models", "bench-data", "bench-results"
TRUSTED_PREFIX = "trusted/"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
# The function's memory setting: what the handler sizes itself by (threads), as in Lambda.
FUNCTION_MEMORY_MB = 3008
PREDICTION_COLUMN = "predicted_value"
APPROACHES = ("original", "ours")
FORMATS = ("csv", "parquet")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process, on a free loopback port; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def function_environment(endpoint: str) -> dict[str, str]:
    """What the stack would set (plus where S3 is), and what Lambda sets itself."""
    return {
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "MODEL_BUCKET": MODEL_BUCKET,
        "MODEL_PREFIX": "",
        "DATA_BUCKET": DATA_BUCKET,
        "DATA_PREFIX": "",
        "RESULTS_BUCKET": RESULTS_BUCKET,
        "RESULTS_PREFIX": "",
        "TRUSTED_PICKLE_PREFIXES": f"s3://{MODEL_BUCKET}/{TRUSTED_PREFIX}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(FUNCTION_MEMORY_MB),
        "POWERTOOLS_SERVICE_NAME": "batch_predict",
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def prepare(s3: Any, *, inputs: Mapping[int, Mapping[str, Path]]) -> dict[str, str]:
    """Buckets, the two models (joblib, trusted prefix) and every input; model name -> URI."""
    for bucket in (MODEL_BUCKET, DATA_BUCKET, RESULTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    model_uris = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, model in train_models().items():
            path = Path(scratch) / f"{name}.joblib"
            joblib.dump(model, path)
            key = f"{TRUSTED_PREFIX}{name}.joblib"
            s3.upload_file(str(path), MODEL_BUCKET, key)
            model_uris[name] = f"s3://{MODEL_BUCKET}/{key}"
    for paths in inputs.values():
        for path in paths.values():
            s3.upload_file(str(path), DATA_BUCKET, path.name)
    return model_uris


def shipped_task_root(work_dir: Path, interpreter: Path) -> tuple[Path, Path]:
    """The batch predictor's artifact as it ships (tools/artifacts.py: the task root its
    Dockerfile's install step builds, from a fresh synth) and the Lambda runtime's own set."""
    assembly = synthesize(work_dir / "cdk.out", environment="dev")
    (fn,) = [fn for fn in assembly.functions() if fn.folder == FUNCTION_DIR.name]
    artifact = build_artifact(assembly, fn, interpreter=interpreter, cache_dir=work_dir / "artifacts")
    return artifact.task_root, runtime_provided_set(work_dir / "artifacts", architecture=fn.architecture)


def run_job(
    approach: str,
    event: Mapping[str, Any],
    *,
    environment: Mapping[str, str],
    shipped: tuple[Path, Path],
    lambda_python: Path,
) -> dict[str, float]:
    """One job in a fresh process: the original with this virtualenv; ours with Lambda's Python
    and the shipped task root and runtime set only (no site-packages; the repository root only
    for the job script and its stdlib-only helpers)."""
    if approach == "ours":
        interpreter = [str(lambda_python), "-S"]
        python_path = os.pathsep.join([*(str(path) for path in shipped), str(REPO_ROOT)])
    else:
        interpreter = [sys.executable]
        python_path = os.pathsep.join([str(REPO_ROOT / "functions"), str(REPO_ROOT)])
    with tempfile.TemporaryDirectory() as scratch:
        event_path, result_path = Path(scratch) / "event.json", Path(scratch) / "result.json"
        event_path.write_text(json.dumps(event))
        completed = subprocess.run(
            [
                *interpreter,
                "-m",
                "benchmarks.batch_predict_job",
                approach,
                "--event",
                str(event_path),
                "--result",
                str(result_path),
            ],
            env={**os.environ, **environment, "PYTHONPATH": python_path},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{approach} job failed:\n{completed.stderr[-4000:]}")
        return json.loads(result_path.read_text())


def measure(*, rows_list: Sequence[int], data_dir: Path) -> dict[str, Any]:
    inputs = {rows: write_inputs(data_dir, rows=rows) for rows in rows_list}
    runs = []
    lambda_python = find_lambda_interpreter()
    if lambda_python is None:
        raise SystemExit(how_to_get())
    shipped = shipped_task_root(Path(tempfile.mkdtemp(prefix="batch-predict-artifact-")), lambda_python)
    with s3_server() as endpoint:
        environment = function_environment(endpoint)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        model_uris = prepare(s3, inputs=inputs)
        for rows in rows_list:
            for model_name, model_uri in model_uris.items():
                for input_format in FORMATS:
                    for approach in APPROACHES:
                        data_key = inputs[rows][input_format].name
                        event = {
                            "model_s3_uri": model_uri,
                            "data_s3_uri": f"s3://{DATA_BUCKET}/{data_key}",
                            "output_s3_uri": f"s3://{RESULTS_BUCKET}/{approach}/{model_name}/{data_key}.csv",
                            "prediction_column_name": PREDICTION_COLUMN,
                            "feature_columns": list(FEATURE_COLUMNS),
                            "overwrite": True,
                        }
                        result = run_job(
                            approach, event, environment=environment, shipped=shipped, lambda_python=lambda_python
                        )
                        if result["rows"] != rows:
                            raise RuntimeError(f"{approach} predicted {result['rows']} rows, expected {rows}")
                        run = {
                            "rows": rows,
                            "model": model_name,
                            "format": input_format,
                            "approach": approach,
                            **result,
                            "rows_per_second": rows / result["seconds"],
                        }
                        print(json.dumps(run), file=sys.stderr)
                        runs.append(run)
    return {
        "machine": describe_machine(),
        "function_memory_mb": FUNCTION_MEMORY_MB,
        "runs": runs,
        "ours_python": LAMBDA_PYTHON_VERSION,
    }


def _find(runs: Sequence[Mapping[str, Any]], **match: Any) -> Mapping[str, Any]:
    return next(run for run in runs if all(run[key] == value for key, value in match.items()))


def render(figures: Mapping[str, Any]) -> str:
    runs = figures["runs"]
    rows_list = sorted({run["rows"] for run in runs})
    table_rows = []
    for run in runs:
        if run["approach"] != "ours":
            continue
        original = _find(runs, rows=run["rows"], model=run["model"], format=run["format"], approach="original")
        table_rows.append(
            [
                f"{run['rows']:,}",
                run["model"],
                run["format"],
                f"{original['seconds']:.1f} s",
                f"{run['seconds']:.1f} s",
                f"{original['rows_per_second']:,.0f}",
                f"{run['rows_per_second']:,.0f}",
                f"{run['rows_per_second'] / original['rows_per_second']:.1f}x",
                f"{original['peak_rss_mb']:.0f} MB",
                f"{run['peak_rss_mb']:.0f} MB",
            ]
        )
    lines = [
        "# Batch predictor: ours vs the original approach",
        "",
        "One run per cell, each a fresh process against a local S3 server (moto, own process).",
        "Peak: the job process's own peak RSS, imports included (VmHWM, benchmarks/peak_memory.py).",
        f"Ours: the shipped task root under Python {figures.get('ours_python', '?')} (tools/artifacts.py); "
        "original: the benchmark's virtualenv (pandas).",
        f"Handler configured as a {figures['function_memory_mb']} MB function. Machine: "
        + ", ".join(f"{key}={value}" for key, value in figures["machine"].items()),
        "",
        markdown_table(
            headers=[
                "rows",
                "model",
                "input",
                "original time",
                "ours time",
                "original rows/s",
                "ours rows/s",
                "speedup",
                "original peak",
                "ours peak",
            ],
            rows=table_rows,
        ),
    ]
    if len(rows_list) >= 2:
        small, large = rows_list[0], rows_list[-1]
        growth_rows = []
        for run in runs:
            if run["approach"] == "ours" and run["rows"] == large:
                small_run = _find(runs, rows=small, model=run["model"], format=run["format"], approach="ours")
                growth_rows.append(
                    [
                        run["model"],
                        run["format"],
                        f"{small_run['peak_rss_mb']:.0f} MB",
                        f"{run['peak_rss_mb']:.0f} MB",
                        f"{run['peak_rss_mb'] / small_run['peak_rss_mb']:.2f}x",
                    ]
                )
        lines += [
            "",
            f"Peak memory growth, ours, {small:,} -> {large:,} rows (target: at most 1.2x, at most 300 MB):",
            "",
            markdown_table(
                headers=["model", "input", f"{small:,} rows", f"{large:,} rows", "growth"], rows=growth_rows
            ),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "batch-predict-bench")
    args = parser.parse_args(argv)
    figures = measure(rows_list=args.rows, data_dir=args.data_dir)
    markdown = render(figures)
    write_results(results_dir=RESULTS_DIR, name="batch_predict", figures=figures, markdown=markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

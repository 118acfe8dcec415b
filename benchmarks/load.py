"""`make load`: a bounded load test of `make serve`, through an unmodified boto3 Lambda client.

    python -m benchmarks.load [--cdk-out cdk.out] [--mask-requests 5000] [--concurrency 32] ...

Starts the local server itself (free ports, function output discarded), then:
1. the mask predictor: ``--mask-requests`` single-name predictions at ``--concurrency``,
   names from the training data (every answer checked: the name echoed, nine components);
2. the sentiment function (committed fixture model): ``--sentiment-requests`` batches of
   ``--sentiment-texts`` texts at ``--sentiment-concurrency`` (one result per text checked);
3. limits: a request over Lambda's 6 MB gets RequestTooLargeException (413) and the next
   request still succeeds; an Event invocation over 1 MB gets the same error.
Figures: requests, errors, p50/p99 latency (client side, per request), throughput, machine.
Every request counts once: the client does not retry. Any error fails the run (exit 1).
The figures are printed and written to benchmarks/results/local_load.{md,json}; they are
figures, not a test: nothing here compares a time with a threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from benchmarks.machine import describe_machine
from benchmarks.report import RESULTS_DIR
from benchmarks.sentiment_texts import SENTENCES
from benchmarks.stats import percentile
from stacks.common.paths import REPO_ROOT
from tools.local_serve.child_process import ServeProcess

MASK_NAMES_FILE = REPO_ROOT / "training" / "mask_predictor" / "data" / "masks.tsv"
COMPONENTS = ("brand", "model", "filter_type", "size", "color", "style", "strap", "valved", "misc")
SYNC_LIMIT_BYTES = 6_291_456
ASYNC_LIMIT_BYTES = 1_048_576


@dataclass(frozen=True)
class LoadResult:
    workload: str
    requests: int
    concurrency: int
    errors: int
    first_error: str | None
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def run_load(workload: str, call: Callable[[int], None], *, requests: int, concurrency: int) -> LoadResult:
    """``call(i)`` for i in range(requests) on ``concurrency`` threads; raises count as errors."""
    latencies_ms: list[float] = [0.0] * requests
    errors: list[str] = []

    def one(index: int) -> None:
        started = time.perf_counter()
        try:
            call(index)
        except Exception as error:  # every failure is counted and the first one shown
            errors.append(f"{type(error).__name__}: {error}"[:500])
        latencies_ms[index] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    seconds = time.perf_counter() - started
    return LoadResult(
        workload=workload,
        requests=requests,
        concurrency=concurrency,
        errors=len(errors),
        first_error=errors[0] if errors else None,
        seconds=seconds,
        p50_ms=percentile(latencies_ms, 0.50),
        p99_ms=percentile(latencies_ms, 0.99),
        max_ms=max(latencies_ms),
    )


def lambda_client(endpoint_url: str, *, concurrency: int) -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client(
        "lambda",
        endpoint_url=endpoint_url,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 1},  # an error must show, not be retried away
            max_pool_connections=concurrency,
            read_timeout=120,
        ),
    )


def invoke_json(client: Any, function_name: str, event: Any) -> Any:
    response = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"function error: {body}")
    return body


def mask_names() -> list[str]:
    lines = MASK_NAMES_FILE.read_text().splitlines()[1:]
    return [line.split("\t", 1)[0] for line in lines if line and not line.startswith("#")]


def sentiment_batches(texts_per_request: int) -> list[list[str]]:
    """A few distinct batches of review sentences, ``texts_per_request`` texts each."""
    return [
        [SENTENCES[(start + index) % len(SENTENCES)] for index in range(texts_per_request)]
        for start in range(len(SENTENCES))
    ]


def check_limits(client: Any, function_name: str) -> list[str]:
    """Over-limit requests get Lambda's errors, and the server keeps serving. Lines to print."""
    lines = []
    for label, invocation_type, size in (
        ("RequestResponse", "RequestResponse", SYNC_LIMIT_BYTES + 1),
        ("Event", "Event", ASYNC_LIMIT_BYTES + 1),
    ):
        payload = json.dumps({"mask_name": "x" * size}).encode()
        try:
            client.invoke(FunctionName=function_name, InvocationType=invocation_type, Payload=payload)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            lines.append(
                f"{label} request of {len(payload):,} bytes -> {status} {code}: {error.response['Error']['Message']}"
            )
            if code != "RequestTooLargeException":
                raise RuntimeError(f"expected RequestTooLargeException, got {code}") from error
        else:
            raise RuntimeError(f"a {len(payload):,}-byte {label} request was accepted")
        answer = invoke_json(client, function_name, {"mask_name": "3M Aura 9205+ N95"})
        if answer.get("mask_name") != "3M Aura 9205+ N95":
            raise RuntimeError(f"the request after the refused one failed: {answer}")
        lines.append("  next request -> 200, answered normally")
    return lines


def render(results: list[LoadResult], limits: list[str], machine: dict[str, Any], workers: dict[str, int]) -> str:
    lines = [
        "# `make load`: the local server under load",
        "",
        "boto3 Lambda client (no retries) -> `make serve`'s Invoke API -> worker processes.",
        f"Workers: {', '.join(f'{name} {count}' for name, count in workers.items())}.",
        "",
        "| workload | requests | concurrency | errors | p50 ms | p99 ms | max ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.workload} | {r.requests:,} | {r.concurrency} | {r.errors} | {r.p50_ms:.1f} | {r.p99_ms:.1f}"
            f" | {r.max_ms:.1f} | {r.per_second:,.0f} |"
        )
    lines += ["", "Limits:", ""] + [f"- {line.strip()}" for line in limits]
    lines += ["", "Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--mask-requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sentiment-requests", type=int, default=500)
    parser.add_argument("--sentiment-concurrency", type=int, default=8)
    parser.add_argument("--sentiment-texts", type=int, default=50, help="texts per request (callers send 50)")
    parser.add_argument(
        "--mask-workers", type=int, help="worker processes for the mask predictor (default: the server's)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR / "local_load")
    args = parser.parse_args(argv)

    serve_arguments = ["--quiet-functions", "--function", "mask_predictor", "--function", "sentiment"]
    if args.mask_workers:
        serve_arguments += ["--workers", f"mask_predictor={args.mask_workers}"]
    machine = describe_machine() | {"load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    scratch = tempfile.TemporaryDirectory(prefix="load-")
    log_path = Path(scratch.name) / "serve.log"
    print("load: starting the server ...", flush=True)
    with scratch, ServeProcess.start(cdk_out=args.cdk_out, log_path=log_path, arguments=serve_arguments) as server:
        mask_function = server.function_name("mask_predictor")
        sentiment_function = server.function_name("sentiment")
        client = lambda_client(
            server.endpoints.lambda_api, concurrency=max(args.concurrency, args.sentiment_concurrency)
        )
        workers = {name: len(pids) for name, pids in _worker_pids(server).items()}

        names = mask_names()

        def predict(index: int) -> None:
            name = names[index % len(names)]
            answer = invoke_json(client, mask_function, {"mask_name": name})
            if answer.get("mask_name") != name or set(answer.get("components", {})) != set(COMPONENTS):
                raise RuntimeError(f"unexpected answer for {name!r}: {str(answer)[:200]}")

        batches = sentiment_batches(args.sentiment_texts)

        def classify(index: int) -> None:
            texts = batches[index % len(batches)]
            answer = invoke_json(client, sentiment_function, {"texts": texts})
            results = answer.get("body", {}).get("results", [])
            if answer.get("statusCode") != 200 or len(results) != len(texts):
                raise RuntimeError(f"unexpected answer: {str(answer)[:200]}")

        for index in range(args.concurrency):  # every worker warm, every connection open
            predict(index)
        classify(0)
        print(f"load: {args.mask_requests} mask predictions at concurrency {args.concurrency} ...", flush=True)
        results = [
            run_load("mask predictor, 1 name", predict, requests=args.mask_requests, concurrency=args.concurrency)
        ]
        print(
            f"load: {args.sentiment_requests} sentiment requests at concurrency {args.sentiment_concurrency} ...",
            flush=True,
        )
        results.append(
            run_load(
                f"sentiment (fixture model), {args.sentiment_texts} texts",
                classify,
                requests=args.sentiment_requests,
                concurrency=args.sentiment_concurrency,
            )
        )
        limits = check_limits(client, mask_function)
        exit_code = server.interrupt()

    report = render(results, limits, machine, workers)
    print(report)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.with_suffix(".md").write_text(report)
    args.results.with_suffix(".json").write_text(
        json.dumps(
            {
                "results": [asdict(r) | {"per_second": r.per_second} for r in results],
                "limits": limits,
                "workers": workers,
                "machine": machine,
            },
            indent=2,
        )
    )
    failed = [r for r in results if r.errors]
    for result in failed:
        print(f"load: FAILED: {result.errors} errors in {result.workload}; first: {result.first_error}")
    if exit_code != 0:
        print(f"load: FAILED: the server exited with {exit_code} on Ctrl-C")
    return 1 if failed or exit_code != 0 else 0


def _worker_pids(server: ServeProcess) -> dict[str, list[int]]:
    import urllib.request

    with urllib.request.urlopen(server.endpoints.http + "/") as response:
        index = json.load(response)
    return {name: info["worker_pids"] for name, info in index["functions"].items()}


if __name__ == "__main__":
    raise SystemExit(main())

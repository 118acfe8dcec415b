"""Warm latency of one engine, run in a process of its own by benchmarks/sentiment.py.

    python -m benchmarks.sentiment_warm --engine ours|pytorch --batches batches.json --output out.json

Each engine runs alone in a fresh process so that neither's thread pool (onnxruntime's and
PyTorch's both spin for a while after work) competes with the other's.

- ``ours``: ``sentiment.handler.lambda_handler`` exactly as Lambda calls it, with the model
  directory and thread count from the environment (MODEL_DIR, AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  BATCH_SIZE...). Its session's ``run`` is wrapped here (never in the function's code) to time
  onnxruntime alone and record the padded shapes; the handler's own work is the rest:
  validation, tokenizing, padding, softmax, the response, the log line and metrics.
- ``pytorch``: ``transformers.pipeline("text-classification")`` on the saved model directory,
  torch threads = 2, the pipeline's defaults otherwise (texts one at a time, unpadded).

``batches.json`` maps a batch size ("1", "8", "50") to the list of batches to time, in order;
the first ``--warmup`` of each size are run but not kept.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.peak_memory import peak_rss_mb
from benchmarks.stats import percentile, summarize

TORCH_THREADS = 2


class BenchmarkContext:
    function_name = "sentiment-benchmark"
    function_version = "$LATEST"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sentiment-benchmark"
    aws_request_id = "warm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("ours", "pytorch"), required=True)
    parser.add_argument("--batches", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, help="pytorch: the save_pretrained directory")
    parser.add_argument("--warmup", type=int, default=3)
    arguments = parser.parse_args()
    batches: dict[str, list[list[str]]] = json.loads(arguments.batches.read_text())
    if arguments.engine == "ours":
        figures = measure_ours(batches, warmup=arguments.warmup)
    else:
        figures = measure_pytorch(batches, model_dir=arguments.model_dir, warmup=arguments.warmup)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)  # this process's own (VmHWM), imports included
    arguments.output.write_text(json.dumps(figures, indent=2) + "\n")


def measure_ours(batches: dict[str, list[list[str]]], *, warmup: int) -> dict[str, Any]:
    # The handler logs one JSON line and prints one metrics line per call on stdout, through a
    # stream bound at import: import and run it with stdout on /dev/null (the cost stays).
    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole process on purpose
    with contextlib.redirect_stdout(devnull):
        import sentiment.handler as handler

        model = handler.MODEL
        session = model._session  # noqa: SLF001 - instrumentation, benchmark only
        original_run = session.run
        session_ns = [0]
        shapes: list[tuple[int, int]] = []

        def timed_run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter_ns()
            result = original_run(*args, **kwargs)
            session_ns[0] += time.perf_counter_ns() - started
            feeds = args[1] if len(args) > 1 else kwargs["input_feed"]
            shapes.append(tuple(feeds["input_ids"].shape))
            return result

        session.run = timed_run
        context = BenchmarkContext()
        results: dict[str, Any] = {
            "engine": "ours",
            "model": model.identity.as_dict(),
            "intra_op_threads": handler.CONFIG.intra_op_threads,
            "batch_size": handler.CONFIG.batch_size,
            "graph_optimization_level": str(session.get_session_options().graph_optimization_level),
            "sizes": {},
        }
        for size, size_batches in batches.items():
            totals, sessions, own, padded, real, runs = [], [], [], [], [], []
            for index, texts in enumerate(size_batches):
                session_ns[0] = 0
                shapes.clear()
                started = time.perf_counter_ns()
                response = handler.lambda_handler({"texts": texts}, context)
                total_ns = time.perf_counter_ns() - started
                if response.get("statusCode") != 200 or response["body"]["count"] != len(texts):
                    raise RuntimeError(f"unexpected answer: {str(response)[:300]}")
                if index < warmup:
                    continue
                totals.append(total_ns / 1e6)
                sessions.append(session_ns[0] / 1e6)
                own.append((total_ns - session_ns[0]) / 1e6)
                padded.append(sum(rows * columns for rows, columns in shapes))
                real.append(sum(model.token_counts(texts)))
                runs.append(len(shapes))
            results["sizes"][size] = {
                "latency": _summary(totals),
                "session_run": _summary(sessions),
                "own_work": _summary(own),
                # Over all repeats: the handler's work per millisecond of onnxruntime.
                "own_work_share_of_session": sum(own) / sum(sessions),
                "session_runs_per_call": sum(runs) / len(runs),
                "tokens_per_call": sum(real) / len(real),
                "padded_tokens_per_call": sum(padded) / len(padded),
            }
    return results


def measure_pytorch(batches: dict[str, list[list[str]]], *, model_dir: Path | None, warmup: int) -> dict[str, Any]:
    if model_dir is None:
        raise SystemExit("--model-dir is required with --engine pytorch")
    import torch
    from transformers import pipeline

    torch.set_num_threads(TORCH_THREADS)
    classifier = pipeline("text-classification", model=str(model_dir), tokenizer=str(model_dir), device="cpu")
    results: dict[str, Any] = {
        "engine": "pytorch",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "pipeline_batch_size": "default (1: one text per forward pass, no padding)",
        "sizes": {},
    }
    call: Callable[[list[str]], Any] = lambda texts: classifier(texts, truncation=True)  # noqa: E731
    for size, size_batches in batches.items():
        totals = []
        for index, texts in enumerate(size_batches):
            started = time.perf_counter_ns()
            answer = call(texts)
            elapsed_ms = (time.perf_counter_ns() - started) / 1e6
            if len(answer) != len(texts):
                raise RuntimeError(f"expected {len(texts)} answers, got {len(answer)}")
            if index >= warmup:
                totals.append(elapsed_ms)
        results["sizes"][size] = {"latency": _summary(totals)}
    return results


def _summary(samples: list[float]) -> dict[str, Any]:
    """Percentiles, plus every sample in order: repeat i of every engine had the same texts."""
    return {
        **summarize(samples),
        "p95_ms": percentile(samples, 0.95),
        "samples_ms": [round(value, 3) for value in samples],
    }


if __name__ == "__main__":
    sys.exit(main())

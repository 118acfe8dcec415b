"""Sentiment: our function (onnxruntime, fp32 and int8) against a transformers + PyTorch pipeline.

    PYTHONPATH=functions:. python -m benchmarks.sentiment [--cold-starts 7] [--artifacts DIR] [--rebuild]

Writes benchmarks/results/sentiment.json and .md. Figures, not tests: nothing here fails a
build, and no test asserts a timing. Needs requirements/export.txt + requirements/bench.txt.

Model: a full-size DistilBERT (distilbert-base-uncased's shape, 2 labels) with seeded random
weights and a locally synthesised 30522-entry WordPiece tokenizer (benchmarks/sentiment_model.py),
exported to fp32 and int8 ONNX by training/sentiment/export_onnx.py's ``export_model``. The
build takes a few minutes and is kept in ``--artifacts`` (default: a folder in the system's
temporary directory) for the next run, rebuilt when anything it depends on changes.

Texts: a realistic mix of lengths (benchmarks/sentiment_texts.py: 8-400 tokens, half of them
under 32, about 70 on average). Every repeat of a measurement uses different texts; every
engine gets the same texts in the same order.

- Cold start: a fresh Python process imports the handler (ours: config, Powertools, model
  read + checksum, tokenizer, onnxruntime session) or torch + transformers and builds the
  pipeline from the saved local directory (PyTorch), then answers one text. Reported as the
  whole process's wall time and the in-process time (first import to first answer), with the
  in-process phases. The model files are in the page cache (read once before), as after the
  first cold start of an execution environment on Lambda's image cache.
- Warm: 1, 8 and 50 texts per call, each engine in a process of its own
  (benchmarks/sentiment_warm.py). Ours is timed through ``lambda_handler`` (validation,
  tokenizing, length-grouped batches, padding, softmax, response, log line, metrics), with
  onnxruntime's ``session.run`` timed separately: the difference is the handler's own work.
  Threads: ours as the function computes them for 2048 MB (2 vCPUs), PyTorch 2.
- Size: the runtime dependencies as the image installs them (pip --target, --no-deps,
  wheels for Lambda's platform and Python 3.14, then task_root.toml's removals), plus the
  model files; against torch + transformers and their runtime dependencies installed the same way.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata
import json
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from benchmarks.cold_start import ColdStart, measure_cold_starts
from benchmarks.lambda_packaging import LAMBDA_PLATFORMS, LAMBDA_PYTHON_VERSION, copy_function_code
from benchmarks.machine import describe_machine
from benchmarks.peak_memory import PEAK_RSS_SOURCE
from benchmarks.report import markdown_table, publish_results
from benchmarks.sentiment_model import BuiltModels, build_fused_int8, build_models
from benchmarks.sentiment_texts import LENGTH_MIX, benchmark_texts
from stacks.common.paths import REPO_ROOT
from tools.locks import pins
from tools.task_root import lambda_wheels_install

FUNCTION_DIR = REPO_ROOT / "functions" / "sentiment"
DEFAULT_ARTIFACTS = Path(tempfile.gettempdir()) / "sentiment-benchmark-models"
LOG = logging.getLogger("benchmarks.sentiment")

MEMORY_MB = 2048  # the stack's default: 2 vCPUs
POOL_SIZE = 400
# Texts per call -> timed repeats (each on different texts); WARMUP more are run first.
REPEATS = {"1": 60, "8": 25, "50": 20}
WARMUP = 3
SELECTION_SEED = 7
COLD_START_TEXT = "The battery easily lasts a full day of heavy use, and it charges quickly."

# The function's locked runtime set (x86_64) and what the image's install step prunes from it.
FUNCTION_LOCK = FUNCTION_DIR / "requirements-x86_64.txt"
FUNCTION_PRUNING = FUNCTION_DIR / "task_root.toml"
# A torch-based function would install these (and their own runtime dependencies).
TORCH_RUNTIME_ROOTS = ("torch", "transformers")
# download.pytorch.org (the CPU-only cp314 wheel) is out of reach here and PyPI's cp314 wheel
# is the CUDA build: torch's size is measured on the CPU wheel for this Python (same build).
TORCH_WHEEL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

TARGET_SPEEDUP_50 = 3.0
TARGET_OWN_WORK_SHARE = 0.10
TARGET_COLD_START_MS = 1000.0
TARGET_COLD_START_SPEEDUP = 8.0
TARGET_RUNTIME_DEPS_MB = 150.0

OURS_COLD_START_SCRIPT = """
import time
started = time.perf_counter()
import io, json, sys
real_stdout, sys.stdout = sys.stdout, io.StringIO()  # the handler's log lines: parsed below
import numpy, onnxruntime, tokenizers
libraries = time.perf_counter()
from sentiment.handler import lambda_handler
imported = time.perf_counter()
class Context:
    function_name = "sentiment-benchmark"
    function_version = "$LATEST"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sentiment-benchmark"
    aws_request_id = "cold-start"
result = lambda_handler({"texts": [TEXT]}, Context())
done = time.perf_counter()
captured, sys.stdout = sys.stdout.getvalue(), real_stdout
assert result["statusCode"] == 200 and result["body"]["count"] == 1, result
logged = [json.loads(line) for line in captured.splitlines() if '"model loaded"' in line]
with open(PHASES, "a") as phases:
    phases.write(json.dumps({
        "libraries_ms": (libraries - started) * 1000,
        "handler_import_ms": (imported - libraries) * 1000,
        "model_load_ms": logged[0]["load_ms"] if logged else None,
        "first_prediction_ms": (done - imported) * 1000,
        "peak_rss_mb": peak_rss_mb(),
    }) + "\\n")
print(json.dumps({"in_process_ms": (done - started) * 1000}))
"""

PYTORCH_COLD_START_SCRIPT = """
import time
started = time.perf_counter()
import json
import torch
torch.set_num_threads(2)
from transformers import pipeline
imported = time.perf_counter()
classifier = pipeline("text-classification", model=MODEL_DIR, tokenizer=MODEL_DIR, device="cpu")
constructed = time.perf_counter()
answer = classifier([TEXT], truncation=True)
done = time.perf_counter()
assert len(answer) == 1 and "label" in answer[0], answer
with open(PHASES, "a") as phases:
    phases.write(json.dumps({
        "libraries_ms": (imported - started) * 1000,
        "pipeline_construction_ms": (constructed - imported) * 1000,
        "first_prediction_ms": (done - constructed) * 1000,
        "peak_rss_mb": peak_rss_mb(),
    }) + "\\n")
print(json.dumps({"in_process_ms": (done - started) * 1000}))
"""


def main() -> None:
    arguments = _parse_arguments()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    for name in ("benchmarks.sentiment", "export_onnx"):
        logging.getLogger(name).setLevel(logging.INFO)
    machine = describe_machine()
    load_before = os.getloadavg()
    print(f"machine: {machine}")
    print(f"load average at start: {_load(load_before)}", flush=True)
    started = time.monotonic()

    built = build_models(arguments.artifacts, rebuild=arguments.rebuild)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(built.int8_dir / "tokenizer.json"))
    tokenizer.no_truncation()

    def token_count(text: str) -> int:
        return len(tokenizer.encode(text).ids)

    pool = benchmark_texts(POOL_SIZE, token_count=token_count)
    repeats = {size: max(2, round(count * arguments.repeat_scale)) for size, count in REPEATS.items()}
    batches = _select_batches(pool, repeats=repeats)

    with tempfile.TemporaryDirectory(prefix="sentiment-benchmark-") as scratch_text:
        scratch = Path(scratch_text)
        batches_path = scratch / "batches.json"
        batches_path.write_text(json.dumps(batches))
        code_root = scratch / "code"  # the function package as the image holds it: compiled
        copy_function_code(source=FUNCTION_DIR, destination_root=code_root, extra_excludes=("model",))
        compileall.compile_dir(
            code_root, quiet=1, invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH
        )

        def ours_env(model_dir: Path) -> dict[str, str]:
            return _base_env(scratch) | {
                "PYTHONPATH": f"{code_root}{os.pathsep}{REPO_ROOT}",
                "MODEL_DIR": str(model_dir),
            }

        pytorch_env = _base_env(scratch) | {"PYTHONPATH": str(REPO_ROOT)}
        for directory in (built.int8_dir, built.fp32_dir, built.saved_dir):
            _read_files(directory)  # into the page cache, for every engine alike

        print(f"cold starts ({arguments.cold_starts} fresh processes each)...", flush=True)
        cold = {
            "ours_int8": _cold_starts(
                OURS_COLD_START_SCRIPT, ours_env(built.int8_dir), scratch, "ours_int8", arguments.cold_starts
            ),
            "ours_fp32": _cold_starts(
                OURS_COLD_START_SCRIPT, ours_env(built.fp32_dir), scratch, "ours_fp32", arguments.cold_starts
            ),
            "pytorch": _cold_starts(
                f"MODEL_DIR = {str(built.saved_dir)!r}\n" + PYTORCH_COLD_START_SCRIPT,
                pytorch_env,
                scratch,
                "pytorch",
                arguments.cold_starts,
            ),
        }

        print(f"warm latency (1, 8, 50 texts; {repeats} repeats after {WARMUP} warm-up calls)...", flush=True)
        warm = {
            "ours_int8": _warm(["--engine", "ours"], ours_env(built.int8_dir), batches_path, scratch),
            "ours_fp32": _warm(["--engine", "ours"], ours_env(built.fp32_dir), batches_path, scratch),
            "pytorch": _warm(
                ["--engine", "pytorch", "--model-dir", str(built.saved_dir)], pytorch_env, batches_path, scratch
            ),
        }
        variants = list(arguments.variants)
        fused_report = None
        if arguments.investigate:
            fused_dir, fused_report = build_fused_int8(built)
            variants = [
                ("fused", {"MODEL_DIR": str(fused_dir)}),
                ("batch8", {"BATCH_SIZE": "8"}),
                ("batch32", {"BATCH_SIZE": "32"}),
                *variants,
            ]
        investigations: dict[str, Any] = {}
        if variants:
            fifty_path = scratch / "batches-50.json"
            fifty_path.write_text(json.dumps({"50": batches["50"]}))
        for name, overrides in variants:
            print(f"variant {name} ({overrides}), 50 texts...", flush=True)
            investigations[name] = {
                "environment": overrides,
                "warm": _warm(["--engine", "ours"], ours_env(built.int8_dir) | overrides, fifty_path, scratch),
            }
        if fused_report is not None:
            investigations["fused"]["build"] = fused_report
        model_dirs = {"fp32": built.fp32_dir, "int8": built.int8_dir}
        if arguments.investigate:
            model_dirs["int8_fused"] = built.int8_dir.parent / "onnx-int8-fused"
        predictions = prediction_check(model_dirs, pool[:200])

        sizes: dict[str, Any] = {}
        if not arguments.skip_sizes:
            print("installed sizes (pip install --target for Lambda's platform, --no-deps)...", flush=True)
            sizes = measure_sizes(scratch=scratch, built=built)

    token_counts = [token_count(text) for text in pool]
    figures: dict[str, Any] = {
        "machine": machine,
        "load_average": {"start": list(load_before), "end": list(os.getloadavg())},
        "duration_s": round(time.monotonic() - started, 1),
        "method": {
            "cold_starts": arguments.cold_starts,
            "warm_repeats": repeats,
            "warm_up_calls": WARMUP,
            "memory_mb_for_threads": MEMORY_MB,
            "texts": {
                "pool": POOL_SIZE,
                "length_mix": [{"share": share, "tokens": [low, high]} for share, low, high in LENGTH_MIX],
                "tokens_median": statistics.median(token_counts),
                "tokens_mean": round(statistics.fmean(token_counts), 1),
                "tokens_min": min(token_counts),
                "tokens_max": max(token_counts),
            },
            "measured_python": sys.version.split()[0],
            "packaged_for": f"cp{LAMBDA_PYTHON_VERSION} {' / '.join(LAMBDA_PLATFORMS)}",
            "model_build": built.report,
        },
        "cold_start": {name: _cold_summary(runs) for name, runs in cold.items()},
        "warm": warm,
        "investigations": investigations,
        "predictions": predictions,
        "sizes": sizes,
    }
    print(f"\nload average at end: {_load(os.getloadavg())}")
    publish_results(
        name="sentiment", figures=figures, evaluate_targets=evaluate_targets, render_markdown=render_markdown
    )


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold-starts", type=int, default=7, help="fresh processes per engine")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS, help="where the built models are kept")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the models even if up to date")
    parser.add_argument(
        "--repeat-scale", type=float, default=1.0, help="scale the warm repeats (e.g. 0.2 to try it out)"
    )
    parser.add_argument("--skip-sizes", action="store_true", help="skip the install-size measurement")
    parser.add_argument(
        "--investigate",
        action="store_true",
        help="also time ours (int8, 50 texts) with BATCH_SIZE 8 and 32, and with an offline-fused model",
    )
    parser.add_argument(
        "--variant",
        dest="variants",
        action="append",
        default=[],
        type=_variant,
        metavar="NAME:VAR=VALUE[,VAR=VALUE]",
        help="also time ours (int8) warm with these function environment variables, e.g. batch32:BATCH_SIZE=32",
    )
    return parser.parse_args()


def _variant(text: str) -> tuple[str, dict[str, str]]:
    name, _, assignments = text.partition(":")
    overrides = dict(item.split("=", 1) for item in assignments.split(",") if item)
    if not name or not overrides:
        raise argparse.ArgumentTypeError(f"want NAME:VAR=VALUE[,VAR=VALUE], got {text!r}")
    return name, overrides


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load) + " (1, 5, 15 min)"


def _select_batches(pool: list[str], *, repeats: dict[str, int]) -> dict[str, list[list[str]]]:
    """For each size, WARMUP + repeats batches of texts sampled from the pool (seeded)."""
    rng = random.Random(SELECTION_SEED)
    return {size: [rng.sample(pool, int(size)) for _ in range(WARMUP + count)] for size, count in repeats.items()}


def _base_env(scratch: Path) -> dict[str, str]:
    """The parent's environment minus the function's tuning variables, plus Lambda's memory,
    offline Hugging Face settings and caches under the scratch directory (never $HOME)."""
    tuning = ("MAX_TEXTS", "MAX_TEXT_CHARS", "MAX_REQUEST_BYTES", "BATCH_SIZE", "INTRA_OP_THREADS", "MODEL_S3_URI")
    environment = {name: value for name, value in os.environ.items() if name not in tuning}
    return environment | {
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_NAME": "sentiment-benchmark",
        "POWERTOOLS_SERVICE_NAME": "sentiment",
        "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(scratch / "huggingface"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
    }


def _read_files(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as stream:
                while stream.read(1 << 24):
                    pass


def _cold_starts(script: str, env: dict[str, str], scratch: Path, name: str, repeats: int) -> dict[str, Any]:
    phases_path = scratch / f"cold-{name}.jsonl"
    # peak_rss_mb(): the cold-start process's own peak (VmHWM), defined by the helper's source.
    script = f"TEXT = {COLD_START_TEXT!r}\nPHASES = {str(phases_path)!r}\n" + PEAK_RSS_SOURCE + script
    runs = measure_cold_starts(script=script, env=env, repeats=repeats)
    phases = [json.loads(line) for line in phases_path.read_text().splitlines()]
    return {"runs": runs, "phases": phases}


def _warm(engine_arguments: list[str], env: dict[str, str], batches_path: Path, scratch: Path) -> dict[str, Any]:
    output = scratch / "warm.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.sentiment_warm",
        *engine_arguments,
        "--batches",
        str(batches_path),
        "--output",
        str(output),
        "--warmup",
        str(WARMUP),
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    if completed.returncode != 0:
        raise RuntimeError(f"warm benchmark {engine_arguments} failed:\n{completed.stderr[-4000:]}")
    return json.loads(output.read_text())


def _cold_summary(cold: dict[str, Any]) -> dict[str, Any]:
    runs: list[ColdStart] = cold["runs"]
    summary: dict[str, Any] = {}
    for field in ("wall_ms", "in_process_ms"):
        values = [getattr(run, field) for run in runs]
        summary[field] = {
            "runs": len(values),
            "median_ms": statistics.median(values),
            "min_ms": min(values),
            "max_ms": max(values),
        }
    summary["phases_median"] = {
        key: statistics.median(phase[key] for phase in cold["phases"])
        for key in cold["phases"][0]
        if all(phase.get(key) is not None for phase in cold["phases"])
    }
    return summary


# --- sizes --------------------------------------------------------------------------------------


def measure_sizes(*, scratch: Path, built: BuiltModels) -> dict[str, Any]:
    ours_target = scratch / "size-ours"
    requirements = FUNCTION_LOCK
    _pip_install_no_deps(target=ours_target, arguments=["--requirement", str(requirements)])
    as_installed = _tree_bytes(ours_target)
    pruning = tomllib.loads(FUNCTION_PRUNING.read_text())
    for relative in pruning.get("remove", []):
        shutil.rmtree(ours_target / relative, ignore_errors=True)
    for package in pruning.get("remove_tests_of", []):
        for tests in sorted((ours_target / package).rglob("tests"), key=lambda path: -len(path.parts)):
            if tests.is_dir():
                shutil.rmtree(tests)
    pruned = _tree_bytes(ours_target)
    compileall.compile_dir(ours_target, quiet=2, workers=1)
    with_bytecode = _tree_bytes(ours_target)

    torch_pins = torch_runtime_pins()
    torch_target = scratch / "size-torch"
    torch_pin = next(pin for pin in torch_pins if pin.startswith("torch=="))
    _pip_install_no_deps(target=torch_target, arguments=[torch_pin], python_version=TORCH_WHEEL_PYTHON)
    _pip_install_no_deps(target=torch_target, arguments=[pin for pin in torch_pins if pin != torch_pin])
    torch_installed = _tree_bytes(torch_target)
    compileall.compile_dir(torch_target, quiet=2, workers=1)
    torch_with_bytecode = _tree_bytes(torch_target)

    code = _tree_bytes(FUNCTION_DIR, suffixes=(".py",))
    return {
        "ours": {
            "requirements": _pins(requirements),
            "dependencies_as_installed_bytes": as_installed,
            "dependencies_bytes": pruned,  # what the image keeps (task_root.toml's removals)
            "dependencies_with_bytecode_bytes": with_bytecode,
            "largest_packages": _largest(ours_target),
            "function_code_bytes": code,
            "model_int8_bytes": _tree_bytes(built.int8_dir),
            "model_fp32_bytes": _tree_bytes(built.fp32_dir),
        },
        "pytorch": {
            "requirements": torch_pins,
            "torch_wheel": f"CPU build for cp{TORCH_WHEEL_PYTHON.replace('.', '')} (see TORCH_WHEEL_PYTHON)",
            "dependencies_bytes": torch_installed,
            "dependencies_with_bytecode_bytes": torch_with_bytecode,
            "largest_packages": _largest(torch_target),
            "model_bytes": _tree_bytes(built.saved_dir),
        },
    }


def torch_runtime_pins() -> list[str]:
    """torch, transformers and everything they need at run time, at the versions installed
    here (what ``pip install torch transformers`` resolved to), as ``name==version`` pins."""
    pins: dict[str, str] = {}

    def walk(name: str) -> None:
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in pins:
            return
        distribution = importlib.metadata.distribution(name)
        pins[key] = distribution.version
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(
                {"extra": "", "python_version": LAMBDA_PYTHON_VERSION}
            ):
                walk(requirement.name)

    for root in TORCH_RUNTIME_ROOTS:
        walk(root)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def _pip_install_no_deps(*, target: Path, arguments: list[str], python_version: str = LAMBDA_PYTHON_VERSION) -> None:
    """As the Dockerfile installs: prebuilt wheels only, no dependency resolution."""
    install = lambda_wheels_install(target=target, platforms=LAMBDA_PLATFORMS, python_version=python_version)
    command = [*install, "--no-deps", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"pip install failed: {' '.join(command)}\n{completed.stderr[-3000:]}")


def _pins(requirements: Path) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(pins(requirements).items())]


def _tree_bytes(directory: Path, *, suffixes: tuple[str, ...] | None = None) -> int:
    """Bytes of the regular files under ``directory`` (only ``suffixes``, if given)."""
    total = 0
    for path in directory.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        if suffixes is not None and (path.suffix not in suffixes or "__pycache__" in path.parts):
            continue
        total += path.stat().st_size
    return total


def _largest(target: Path, count: int = 6) -> dict[str, float]:
    sizes = {
        child.name: _tree_bytes(child)
        for child in target.iterdir()
        if child.is_dir() and not child.name.endswith(".dist-info") and child.name != "__pycache__"
    }
    return {name: round(size / 1e6, 1) for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:count]}


def prediction_check(model_dirs: dict[str, Path], texts: list[str]) -> dict[str, Any]:
    """Through the function's own inference code: how often each export agrees with fp32.
    With random weights the labels carry no meaning; this only shows the exports compute the
    same function (and how lopsided a random model's answers are)."""
    from sentiment.inference import SentimentModel

    probabilities = {
        name: SentimentModel.load(directory, intra_op_threads=2, batch_size=16).probabilities(texts)
        for name, directory in model_dirs.items()
    }
    reference = probabilities["fp32"]
    return {
        name: {
            "texts": len(texts),
            "share_positive": round(float((values.argmax(axis=1) == 1).mean()), 4),
            "label_agreement_with_fp32": round(float((values.argmax(axis=1) == reference.argmax(axis=1)).mean()), 4),
            "max_abs_probability_diff_vs_fp32": float(abs(values - reference).max()),
        }
        for name, values in probabilities.items()
    }


def paired_speedup(baseline: dict[str, Any], ours: dict[str, Any]) -> float:
    """Median over repeats of baseline / ours: repeat i gave both the same texts."""
    return statistics.median(
        theirs / mine for theirs, mine in zip(baseline["samples_ms"], ours["samples_ms"], strict=True)
    )


# --- targets and report ----------------------------------------------------------------------------


def evaluate_targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    warm, cold, sizes = figures["warm"], figures["cold_start"], figures["sizes"]
    checks: list[tuple[str, float, str, bool]] = []
    for variant in ("ours_int8", "ours_fp32"):
        label = variant.removeprefix("ours_")
        speedup = paired_speedup(warm["pytorch"]["sizes"]["50"]["latency"], warm[variant]["sizes"]["50"]["latency"])
        checks.append(
            (
                f"{label}: 50 texts >= {TARGET_SPEEDUP_50:g}x faster than the PyTorch pipeline (median of per-call ratios)",
                speedup,
                "x",
                speedup >= TARGET_SPEEDUP_50,
            )
        )
        for size in warm[variant]["sizes"]:
            share = warm[variant]["sizes"][size]["own_work_share_of_session"]
            checks.append(
                (
                    f"{label}: handler's own work <= {TARGET_OWN_WORK_SHARE:.0%} of session time ({size} texts)",
                    100 * share,
                    "%",
                    share <= TARGET_OWN_WORK_SHARE,
                )
            )
        for field, what in (("wall_ms", "whole process"), ("in_process_ms", "in-process")):
            median = cold[variant][field]["median_ms"]
            checks.append(
                (
                    f"{label}: cold start ({what}, median) <= {TARGET_COLD_START_MS:g} ms",
                    median,
                    "ms",
                    median <= TARGET_COLD_START_MS,
                )
            )
            speedup = cold["pytorch"][field]["median_ms"] / median
            checks.append(
                (
                    f"{label}: cold start ({what}) >= {TARGET_COLD_START_SPEEDUP:g}x faster than PyTorch's",
                    speedup,
                    "x",
                    speedup >= TARGET_COLD_START_SPEEDUP,
                )
            )
    if sizes:
        for key, what in (
            ("dependencies_bytes", "as the image keeps them"),
            ("dependencies_with_bytecode_bytes", "with bytecode"),
        ):
            megabytes = sizes["ours"][key] / 1e6
            checks.append(
                (
                    f"runtime dependencies ({what}) <= {TARGET_RUNTIME_DEPS_MB:g} MB",
                    megabytes,
                    "MB",
                    megabytes <= TARGET_RUNTIME_DEPS_MB,
                )
            )
    return [
        {"target": target, "measured": round(value, 3), "unit": unit, "result": "PASS" if passed else "FAIL"}
        for target, value, unit, passed in checks
    ]


def render_markdown(figures: dict[str, Any]) -> str:
    machine, method, warm, cold, sizes = (
        figures["machine"],
        figures["method"],
        figures["warm"],
        figures["cold_start"],
        figures["sizes"],
    )
    engines = ("ours_int8", "ours_fp32", "pytorch")
    ours = engines[:2]  # rows about our engines only: the PyTorch column says what stands instead

    def ms(value: float) -> str:
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"

    def mb(size: float) -> str:
        return f"{size / 1e6:.1f} MB"

    def cold_cell(engine: str, field: str) -> str:
        figure = cold[engine][field]
        return f"{ms(figure['median_ms'])} (min {ms(figure['min_ms'])})"

    rows = [
        ["cold start, whole process: median (min)", *(cold_cell(engine, "wall_ms") for engine in engines)],
        [
            "cold start, first import to first answer: median (min)",
            *(cold_cell(engine, "in_process_ms") for engine in engines),
        ],
        ["  of which library imports", *(ms(cold[engine]["phases_median"]["libraries_ms"]) for engine in engines)],
        [
            "  of which handler import / pipeline construction",
            ms(cold["ours_int8"]["phases_median"]["handler_import_ms"]),
            ms(cold["ours_fp32"]["phases_median"]["handler_import_ms"]),
            ms(cold["pytorch"]["phases_median"]["pipeline_construction_ms"]),
        ],
        [
            "    of which model load (read, sha256, tokenizer, session)",
            *(ms(cold[engine]["phases_median"]["model_load_ms"]) for engine in ours),
            "-",
        ],
        [
            "  of which first answer (1 text)",
            *(ms(cold[engine]["phases_median"]["first_prediction_ms"]) for engine in engines),
        ],
        ["cold start peak RSS", *(f"{cold[engine]['phases_median']['peak_rss_mb']:.0f} MB" for engine in engines)],
    ]

    def texts(size: str) -> str:
        return f"{size} text{'s' if size != '1' else ''}"

    def speedup(engine: str, size: str) -> str:
        """The median per-call ratio of PyTorch's time to the engine's, for `size` texts."""
        pytorch, engine_latency = warm["pytorch"]["sizes"][size]["latency"], warm[engine]["sizes"][size]["latency"]
        return f"{paired_speedup(pytorch, engine_latency):.2f}x"

    def own_work(engine: str, size: str) -> str:
        figure = warm[engine]["sizes"][size]
        return f"{100 * figure['own_work_share_of_session']:.1f}% ({ms(figure['own_work']['p50_ms'])})"

    for size in warm["pytorch"]["sizes"]:
        for key, label in (("p50_ms", "p50"), ("p95_ms", "p95")):
            latencies = [ms(warm[engine]["sizes"][size]["latency"][key]) for engine in engines]
            rows.append([f"warm, {texts(size)}: {label}", *latencies])
    for size in warm["pytorch"]["sizes"]:
        speedups = [speedup(engine, size) for engine in ours]
        rows.append([f"warm, {texts(size)}: speedup vs PyTorch (median per-call ratio)", *speedups, "1x"])
    for size in warm["ours_int8"]["sizes"]:
        shares = [own_work(engine, size) for engine in ours]
        rows.append([f"handler's own work / session.run, {size} texts (own work p50)", *shares, "-"])
    rows.append(
        [
            "tokens per 50-text call: real / padded (ours)",
            *(
                f"{warm[e]['sizes']['50']['tokens_per_call']:.0f} / {warm[e]['sizes']['50']['padded_tokens_per_call']:.0f}"
                f" in {warm[e]['sizes']['50']['session_runs_per_call']:.1f} runs"
                for e in ours
            ),
            "unpadded, 50 runs",
        ]
    )
    rows.append(["warm peak RSS", *(f"{warm[engine]['peak_rss_mb']:.0f} MB" for engine in engines)])
    if sizes:
        ours, torch_side = sizes["ours"], sizes["pytorch"]
        rows += [
            [
                "runtime dependencies (as the image keeps them / with bytecode)",
                f"{mb(ours['dependencies_bytes'])} / {mb(ours['dependencies_with_bytecode_bytes'])}",
                "same",
                f"{mb(torch_side['dependencies_bytes'])} / {mb(torch_side['dependencies_with_bytecode_bytes'])}",
            ],
            ["model files", mb(ours["model_int8_bytes"]), mb(ours["model_fp32_bytes"]), mb(torch_side["model_bytes"])],
            [
                "dependencies + model (with bytecode)",
                mb(ours["dependencies_with_bytecode_bytes"] + ours["function_code_bytes"] + ours["model_int8_bytes"]),
                mb(ours["dependencies_with_bytecode_bytes"] + ours["function_code_bytes"] + ours["model_fp32_bytes"]),
                mb(torch_side["dependencies_with_bytecode_bytes"] + torch_side["model_bytes"]),
            ],
        ]
    investigation_rows = [
        [
            name,
            ", ".join(
                f"{key}={Path(value).name if key == 'MODEL_DIR' else value}"
                for key, value in item["environment"].items()
            ),
            ms(item["warm"]["sizes"]["50"]["latency"]["p50_ms"]),
            ms(item["warm"]["sizes"]["50"]["latency"]["p95_ms"]),
            f"{paired_speedup(warm['ours_int8']['sizes']['50']['latency'], item['warm']['sizes']['50']['latency']):.2f}x",
            f"{paired_speedup(warm['pytorch']['sizes']['50']['latency'], item['warm']['sizes']['50']['latency']):.2f}x",
            f"{item['warm']['sizes']['50']['session_runs_per_call']:.1f}",
            f"{item['warm']['sizes']['50']['padded_tokens_per_call']:.0f}",
        ]
        for name, item in figures["investigations"].items()
    ]
    targets = [[item["target"], f"{item['measured']:g} {item['unit']}", item["result"]] for item in figures["targets"]]
    build = method["model_build"]
    texts = method["texts"]
    int8_note = build["int8_export"]["validation"]
    lines = [
        "# Sentiment benchmark",
        "",
        f"Machine: {machine['cpu_model']}, {machine['usable_cores']} usable of {machine['logical_cores']} logical cores,"
        f" Python {machine['python']} ({machine['platform']}). Load average at start"
        f" {figures['load_average']['start'][0]:.2f}, at end {figures['load_average']['end'][0]:.2f} (1 min);"
        f" run took {figures['duration_s']:.0f} s.",
        f"Model: DistilBERT, full size ({build['model']['parameters']:,} parameters, random seeded weights),"
        f" vocabulary {build['model']['config']['vocab_size']}; exported by export_onnx.export_model:"
        f" fp32 validation passed, int8 validation {int8_note}.",
        f"Texts: {texts['pool']} texts of {texts['tokens_min']}-{texts['tokens_max']} tokens (median {texts['tokens_median']},"
        f" mean {texts['tokens_mean']}); every repeat takes different texts, the same for every engine."
        f" Warm repeats {method['warm_repeats']} after {method['warm_up_calls']} warm-up calls;"
        f" cold starts: {method['cold_starts']} fresh processes each.",
        f"Ours: `sentiment.handler.lambda_handler` with {warm['ours_int8']['intra_op_threads']} onnxruntime threads"
        f" ({method['memory_mb_for_threads']} MB), BATCH_SIZE {warm['ours_int8']['batch_size']}."
        f' PyTorch: `transformers.pipeline("text-classification")`, {warm["pytorch"]["torch_threads"]} torch threads,'
        f" pipeline defaults (one text per forward pass). Sizes: wheels for {method['packaged_for']}"
        f" (torch: its CPU wheel for cp{TORCH_WHEEL_PYTHON.replace('.', '')}).",
        "",
        markdown_table(headers=["measure", "ours int8", "ours fp32", "transformers + PyTorch"], rows=rows),
    ]
    if investigation_rows:
        lines += [
            "",
            "## Variants of ours (int8, 50 texts, same texts)",
            "",
            markdown_table(
                headers=[
                    "variant",
                    "environment",
                    "p50",
                    "p95",
                    "speedup vs ours int8",
                    "speedup vs PyTorch",
                    "session runs",
                    "padded tokens",
                ],
                rows=investigation_rows,
            ),
        ]
    prediction_rows = [
        [
            name,
            f"{100 * check['share_positive']:.1f}%",
            f"{100 * check['label_agreement_with_fp32']:.1f}%",
            f"{check['max_abs_probability_diff_vs_fp32']:.2g}",
        ]
        for name, check in figures["predictions"].items()
    ]
    lines += [
        "",
        f"## Exports compared (first {figures['predictions']['fp32']['texts']} texts, random weights)",
        "",
        markdown_table(
            headers=["model", "predicted positive", "same label as fp32", "max |probability diff| vs fp32"],
            rows=prediction_rows,
        ),
    ]
    lines += ["", "## Targets", "", markdown_table(headers=["target", "measured", "result"], rows=targets)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

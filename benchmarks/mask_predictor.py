"""Mask predictor: our function against the original approach, measured side by side in one run.

    PYTHONPATH=functions:. python -m benchmarks.mask_predictor

Writes benchmarks/results/mask_predictor.json and .md. Figures, not tests: nothing here fails
a build, and no test asserts a timing.

- Cold start: a fresh Python process imports the handler (ours) or sklearn_crfsuite + joblib
  and unpickles the CRF (original), then answers one name. Reported as the whole process's
  wall time (interpreter start included) and the in-process time from before the first import
  to after the first prediction. The function package is copied to a fresh directory and run
  with -B, so its modules compile from source each time, as on Lambda's read-only /var/task.
- Warm: in this process, over real names from the training data. Ours goes through
  ``lambda_handler`` (validation, prediction, response, metrics line); the original through
  ``crf.predict`` + ``crf.predict_marginals``. Both include feature extraction.
- Size: the ZIPs Lambda would get (wheels for Lambda's platform and Python 3.14).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import mask_predictor_original as original
from benchmarks.cold_start import ColdStart, measure_cold_starts
from benchmarks.lambda_packaging import (
    LAMBDA_PLATFORMS,
    LAMBDA_PYTHON_VERSION,
    PackageSize,
    copy_function_code,
    copy_package,
    pip_install_for_lambda,
    zip_directory,
)
from benchmarks.machine import describe_machine
from benchmarks.report import markdown_table, publish_results
from benchmarks.stats import summarize, time_calls
from stacks.common.local_bundling import LocalPythonFunctionBundling
from stacks.common.packages import PYTHON_VERSION, SHARED_PACKAGE_DIR
from stacks.common.paths import REPO_ROOT

FUNCTION_DIR = REPO_ROOT / "functions" / "mask_predictor"
MODEL_DIR = FUNCTION_DIR / "model"
TRAINING_DATA = REPO_ROOT / "training" / "mask_predictor" / "data" / "masks.tsv"
# As the stack ships it (stacks/mask_predictor.py): the model in a layer under /opt/<folder>.
MODEL_LAYER_FOLDER = "mask_predictor_model"
ORIGINAL_REQUIREMENTS = ("sklearn-crfsuite", "joblib", "scikit-learn")

COLD_START_NAME = "3M Aura 9205+ N95"
BATCH_SIZE = 1_000
BATCH_REPEATS = 30

TARGET_COLD_START_MS = 100.0
TARGET_COLD_START_SPEEDUP = 20.0
TARGET_ONE_NAME_P50_MS = 0.5
TARGET_BATCH_MS = 100.0
TARGET_ZIP_BYTES = 3_000_000

OURS_COLD_START_SCRIPT = """
import time
started = time.perf_counter()
from mask_predictor.handler import lambda_handler
class Context:
    function_name = "mask-predictor-benchmark"
    function_version = "$LATEST"
    aws_request_id = "cold-start"
result = lambda_handler({"mask_name": MASK_NAME}, Context())
elapsed = time.perf_counter() - started
assert "tokens" in result, result
import json
print(json.dumps({"in_process_ms": elapsed * 1000}))
"""


class BenchmarkContext:
    function_name = "mask-predictor-benchmark"
    function_version = "$LATEST"
    aws_request_id = "warm"


def main() -> None:
    arguments = _parse_arguments()
    if not (MODEL_DIR / "mask_crf.crfsuite").exists():
        sys.exit(f"no model in {MODEL_DIR}: run `python -m training.mask_predictor.train` first")
    names = real_mask_names()
    batch = [names[i % len(names)] for i in range(BATCH_SIZE)]

    with tempfile.TemporaryDirectory(prefix="mask-benchmark-") as scratch_text:
        scratch = Path(scratch_text)
        print("training the original-style CRF (sklearn_crfsuite, joblib pickle)...", flush=True)
        pickle_path = scratch / "mask_crf.pkl"
        baseline_training = original.train_pickled_crf(model_dir=MODEL_DIR, output_path=pickle_path)

        print(f"cold starts ({arguments.cold_starts} fresh processes each)...", flush=True)
        code_root = scratch / "code"
        copy_function_code(source=FUNCTION_DIR, destination_root=code_root, extra_excludes=("model",))
        environment = os.environ | {"PYTHONPATH": str(code_root), "MODEL_DIR": str(MODEL_DIR)}
        ours_cold = measure_cold_starts(
            script=f"MASK_NAME = {COLD_START_NAME!r}\n" + OURS_COLD_START_SCRIPT,
            env=environment,
            repeats=arguments.cold_starts,
        )
        original_cold = measure_cold_starts(
            script=original.cold_start_script(model_path=pickle_path, mask_name=COLD_START_NAME),
            env=environment,
            repeats=arguments.cold_starts,
        )

        print("warm latency...", flush=True)
        ours_warm = measure_ours_warm(names=names, batch=batch, iterations=arguments.iterations)
        original_warm = measure_original_warm(
            pickle_path=pickle_path, names=names, batch=batch, iterations=arguments.iterations
        )

        print("package sizes (pip install for Lambda's platform)...", flush=True)
        sizes = measure_sizes(scratch=scratch, pickle_path=pickle_path)

    figures: dict[str, Any] = {
        "machine": describe_machine(),
        "method": {
            "cold_starts": arguments.cold_starts,
            "warm_one_name_iterations": arguments.iterations,
            "batch_size": BATCH_SIZE,
            "batch_repeats": BATCH_REPEATS,
            "distinct_real_names": len(names),
            "measured_python": sys.version.split()[0],
            "packaged_for": f"cp{LAMBDA_PYTHON_VERSION} {' / '.join(LAMBDA_PLATFORMS)}",
            "original_trained_on": baseline_training,
        },
        "ours": {
            "cold_start_wall": _cold_summary(ours_cold, "wall_ms"),
            "cold_start_in_process": _cold_summary(ours_cold, "in_process_ms"),
            **ours_warm,
            **sizes["ours"],
        },
        "original": {
            "cold_start_wall": _cold_summary(original_cold, "wall_ms"),
            "cold_start_in_process": _cold_summary(original_cold, "in_process_ms"),
            **original_warm,
            **sizes["original"],
        },
    }
    publish_results(
        name="mask_predictor", figures=figures, evaluate_targets=evaluate_targets, render_markdown=render_markdown
    )


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold-starts", type=int, default=10, help="fresh processes per approach")
    parser.add_argument("--iterations", type=int, default=5_000, help="warm one-name calls per approach")
    return parser.parse_args()


def real_mask_names() -> list[str]:
    """Distinct product names from the training data (header, '#' comments and blanks skipped)."""
    names: dict[str, None] = {}
    for line in TRAINING_DATA.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            names[line.split("\t", 1)[0]] = None
    return list(names)


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """The handler writes one metrics line per call to stdout; keep the cost, drop the text."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def measure_ours_warm(*, names: list[str], batch: list[str], iterations: int) -> dict[str, Any]:
    os.environ["MODEL_DIR"] = str(MODEL_DIR)  # read by the handler at import, as on Lambda
    with _stdout_to_devnull():
        handler_module = importlib.import_module("mask_predictor.handler")
        handler: Callable[[Any, Any], Any] = handler_module.lambda_handler
        context = BenchmarkContext()
        assert "tokens" in handler({"mask_name": names[0]}, context)
        assert handler({"mask_names": batch}, context)["count"] == len(batch)
        one = time_calls(
            lambda i: handler({"mask_name": names[i % len(names)]}, context),
            iterations=iterations,
            warmup=min(500, iterations),
        )
        many = time_calls(lambda _i: handler({"mask_names": batch}, context), iterations=BATCH_REPEATS, warmup=3)
    return {"warm_one_name": summarize(one), "warm_batch_1000": summarize(many)}


def measure_original_warm(*, pickle_path: Path, names: list[str], batch: list[str], iterations: int) -> dict[str, Any]:
    crf = original.load(pickle_path)
    one = time_calls(
        lambda i: original.predict_one(crf, names[i % len(names)]),
        iterations=iterations,
        warmup=min(500, iterations),
    )
    many = time_calls(lambda _i: original.predict_many(crf, batch), iterations=BATCH_REPEATS, warmup=3)
    return {"warm_one_name": summarize(one), "warm_batch_1000": summarize(many)}


def measure_sizes(*, scratch: Path, pickle_path: Path) -> dict[str, dict[str, Any]]:
    # The stack's own bundler, exactly as `cdk synth` runs it: the size is the deployed ZIP's.
    function_build = scratch / "function-zip"
    LocalPythonFunctionBundling(
        source_dir=FUNCTION_DIR,
        package_name=FUNCTION_DIR.name,
        architecture="x86_64",
        python_version=PYTHON_VERSION,
        excludes=("model",),
        shared_packages=[SHARED_PACKAGE_DIR],
    ).try_bundle(str(function_build), None)
    function_zip = zip_directory(source=function_build, zip_path=scratch / "function.zip")

    layer_build = scratch / "model-layer"
    copy_package(source=MODEL_DIR, destination=layer_build / MODEL_LAYER_FOLDER)
    layer_zip = zip_directory(source=layer_build, zip_path=scratch / "model-layer.zip")

    original_build = scratch / "original-zip"
    pip_install_for_lambda(target=original_build, requirements=ORIGINAL_REQUIREMENTS)
    original_dependencies = zip_directory(source=original_build, zip_path=scratch / "original-deps.zip")
    shutil.copy(pickle_path, original_build / pickle_path.name)
    original_zip = zip_directory(source=original_build, zip_path=scratch / "original.zip")

    return {
        "ours": {
            "function_zip": function_zip.as_dict(),
            "model_layer_zip": layer_zip.as_dict(),
            "total": _total(function_zip, layer_zip).as_dict(),
        },
        "original": {
            "dependencies_zip": original_dependencies.as_dict(),
            "pickled_model_bytes": pickle_path.stat().st_size,
            "total": original_zip.as_dict(),
        },
    }


def _total(*sizes: PackageSize) -> PackageSize:
    return PackageSize(
        unzipped_bytes=sum(size.unzipped_bytes for size in sizes),
        zipped_bytes=sum(size.zipped_bytes for size in sizes),
    )


def _cold_summary(runs: list[ColdStart], field: str) -> dict[str, float | int]:
    values = [getattr(run, field) for run in runs]
    return {"runs": len(values), "median_ms": statistics.median(values), "min_ms": min(values)}


def evaluate_targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    ours, baseline = figures["ours"], figures["original"]
    checks: list[tuple[str, float, str, bool]] = []
    for label, key in (
        ("whole process", "cold_start_wall"),
        ("in-process", "cold_start_in_process"),
    ):
        median = ours[key]["median_ms"]
        speedup = baseline[key]["median_ms"] / median
        checks.append(
            (
                f"cold start ({label}, median) <= {TARGET_COLD_START_MS:g} ms",
                median,
                "ms",
                median <= TARGET_COLD_START_MS,
            )
        )
        checks.append(
            (
                f"cold start ({label}) >= {TARGET_COLD_START_SPEEDUP:g}x faster than original",
                speedup,
                "x",
                speedup >= TARGET_COLD_START_SPEEDUP,
            )
        )
    one = ours["warm_one_name"]["p50_ms"]
    checks.append((f"one name p50 <= {TARGET_ONE_NAME_P50_MS:g} ms", one, "ms", one <= TARGET_ONE_NAME_P50_MS))
    many = ours["warm_batch_1000"]["p50_ms"]
    checks.append((f"1,000 names p50 <= {TARGET_BATCH_MS:g} ms", many, "ms", many <= TARGET_BATCH_MS))
    for label, key in (
        ("function ZIP", "function_zip"),
        ("function ZIP + model layer ZIP", "total"),
    ):
        zipped_mb = ours[key]["zipped_bytes"] / 1e6
        checks.append(
            (
                f"{label} <= {TARGET_ZIP_BYTES / 1e6:g} MB",
                zipped_mb,
                "MB",
                zipped_mb * 1e6 <= TARGET_ZIP_BYTES,
            )
        )
    return [
        {
            "target": target,
            "measured": round(value, 3),
            "unit": unit,
            "result": "PASS" if passed else "FAIL",
        }
        for target, value, unit, passed in checks
    ]


def render_markdown(figures: dict[str, Any]) -> str:
    ours, baseline, machine, method = (
        figures["ours"],
        figures["original"],
        figures["machine"],
        figures["method"],
    )

    def ms(value: float) -> str:
        return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"

    def mb(size: dict[str, Any]) -> str:
        zipped, unzipped = size["zipped_bytes"] / 1e6, size["unzipped_bytes"] / 1e6
        return f"{zipped:.2f} MB zipped / {unzipped:.2f} MB unzipped"

    def cold(figure: dict[str, Any]) -> str:
        return f"{ms(figure['median_ms'])} (min {ms(figure['min_ms'])})"

    rows = [
        [
            "cold start, whole process: median (min)",
            cold(ours["cold_start_wall"]),
            cold(baseline["cold_start_wall"]),
        ],
        [
            "cold start, import to first prediction: median (min)",
            cold(ours["cold_start_in_process"]),
            cold(baseline["cold_start_in_process"]),
        ],
        [
            "warm, one name: p50",
            ms(ours["warm_one_name"]["p50_ms"]),
            ms(baseline["warm_one_name"]["p50_ms"]),
        ],
        [
            "warm, one name: p99",
            ms(ours["warm_one_name"]["p99_ms"]),
            ms(baseline["warm_one_name"]["p99_ms"]),
        ],
        [
            "warm, 1,000 names: p50",
            ms(ours["warm_batch_1000"]["p50_ms"]),
            ms(baseline["warm_batch_1000"]["p50_ms"]),
        ],
        [
            "package: code + dependencies",
            mb(ours["function_zip"]),
            mb(baseline["dependencies_zip"]),
        ],
        [
            "package: model",
            mb(ours["model_layer_zip"]) + " (layer)",
            f"{baseline['pickled_model_bytes'] / 1e6:.2f} MB pickle",
        ],
        ["package: total", mb(ours["total"]), mb(baseline["total"])],
    ]
    targets = [[item["target"], f"{item['measured']:g} {item['unit']}", item["result"]] for item in figures["targets"]]
    trained = method["original_trained_on"]
    return "\n".join(
        [
            "# Mask predictor benchmark",
            "",
            f"Machine: {machine['cpu_model']}, {machine['usable_cores']} usable of"
            f" {machine['logical_cores']} logical cores, Python {machine['python']}"
            f" ({machine['platform']}).",
            f"Packages built for Lambda: {method['packaged_for']}."
            f" Timings measured with Python {method['measured_python']}.",
            "Ours: python-crfsuite tagger via `mask_predictor.handler`."
            " Original: sklearn_crfsuite.CRF + joblib pickle"
            f" (trained here on the same {trained['training_names']} names, same features,"
            f" c1={trained['c1']}, c2={trained['c2']}).",
            f"Cold starts: {method['cold_starts']} fresh processes each."
            f" Warm one name: {method['warm_one_name_iterations']} calls over"
            f" {method['distinct_real_names']} real names."
            f" 1,000 names: {method['batch_repeats']} repeats (real names, cycled).",
            "",
            markdown_table(headers=["measure", "ours", "original"], rows=rows),
            "",
            "## Targets",
            "",
            markdown_table(headers=["target", "measured", "result"], rows=targets),
        ]
    )


if __name__ == "__main__":
    main()

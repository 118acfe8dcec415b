"""What ships, measured as Lambda would start it: every function's artifact from a fresh synth.

    python -m benchmarks.artifacts [--lambda-python PATH] [--cold-starts 3]

Synthesizes the dev app (ZIP assets bundled), builds each function's artifact
(tools/artifacts.py: the staged ZIP and layers, or the task root its Dockerfile's install step
builds), starts it under Lambda's Python with the runtime interface client and nothing else
importable (tools/artifact_process.py), sends its health event, and records: size (ZIP: code
+ layers unzipped, against Lambda's 250 MB; image: the task root), init duration (process start
to the runtime's first request for an event; median of the cold starts) and peak RSS.
Figures: benchmarks/results/artifacts.md and .json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine
from benchmarks.report import RESULTS_DIR, markdown_table, write_results
from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tools.artifact_process import Figures, figures, start_artifact
from tools.artifacts import build_artifact, runtime_provided_set, synthesize
from tools.lambda_interpreter import find_lambda_interpreter, how_to_get

# Guards against a hang only.
TIMEOUT_SECONDS = 300.0


def health_event(folder: str) -> Any:
    """The function's committed health event (an API Gateway one where it has one)."""
    for name in ("apigw_get_health.json", "health.json"):
        path = REPO_ROOT / "events" / folder / name
        if path.exists():
            return json.loads(path.read_text())
    return {"action": "health"}


def measure(*, interpreter: Path, cold_starts: int, work_dir: Path) -> list[tuple[Figures, list[float]]]:
    print("synthesizing the dev app (ZIP assets bundled)...", file=sys.stderr)
    assembly = synthesize(work_dir / "cdk.out", environment="dev")
    measured = []
    for fn in sorted(assembly.functions(), key=lambda f: f.folder or ""):
        print(f"{fn.folder}: building its artifact...", file=sys.stderr)
        artifact = build_artifact(assembly, fn, interpreter=interpreter, cache_dir=work_dir / "artifacts")
        runtime_dir = runtime_provided_set(work_dir / "artifacts", architecture=fn.architecture)
        inits, peaks, row = [], [], None
        for start in range(cold_starts):
            tmp_dir = work_dir / "runs" / f"{fn.folder}-{start}"
            with start_artifact(artifact, interpreter=interpreter, runtime_dir=runtime_dir, tmp_dir=tmp_dir) as running:
                init_ms = running.wait_for_init(timeout=TIMEOUT_SECONDS)
                result = running.invoke(health_event(artifact.folder), timeout=TIMEOUT_SECONDS)
                if not result.succeeded:
                    raise SystemExit(f"{fn.folder}: the health event failed: {result.body!r}\n{running.log_tail()}")
                peak = running.peak_rss_mb()
                row = figures(running, init_ms=init_ms, peak_rss_mb=peak)
            inits.append(init_ms)
            peaks.append(peak or 0.0)
        assert row is not None
        median = replace(
            row, init_ms=round(statistics.median(inits), 1), peak_rss_mb=round(statistics.median(peaks), 1)
        )
        print(f"{fn.folder}: init {median.init_ms} ms, peak RSS {median.peak_rss_mb} MB", file=sys.stderr)
        measured.append((median, inits))
    return measured


def report(measured: list[tuple[Figures, list[float]]], *, cold_starts: int) -> str:
    rows = [
        [
            row.folder,
            row.package_type,
            row.architecture,
            f"{row.size_bytes / 1_000_000:,.1f} MB",
            f"{row.size_limit_bytes / 1_000_000:,.0f} MB ({100 * row.size_bytes / row.size_limit_bytes:.1f} %)",
            f"{row.init_ms:,.0f}",
            f"{row.peak_rss_mb:,.0f} MB of {row.memory_mb} MB",
        ]
        for row, _ in measured
    ]
    table = markdown_table(
        headers=["function", "package", "arch", "size", "limit (used)", "init ms (median)", "peak RSS"], rows=rows
    )
    return (
        f"# Artifacts under Python {LAMBDA_PYTHON_VERSION}\n\n"
        "Each function's artifact from a fresh `cdk synth` (the staged ZIP and layers, or the task root its\n"
        "Dockerfile's install step builds), started by the runtime interface client with nothing else\n"
        f"importable; init = process start to its first request for an event, median of {cold_starts} cold\n"
        "starts, after which its health event is sent. Size: ZIP = code + layers unzipped (Lambda's\n"
        "limit 250 MB); image = the task root (the image limit is 10 GB). `python -m benchmarks.artifacts`.\n\n"
        f"{table}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lambda-python", type=Path, help="a CPython of Lambda's version (default: found)")
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    interpreter = args.lambda_python or find_lambda_interpreter()
    if interpreter is None:
        print(how_to_get(), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="artifacts-bench-") as work:
        measured = measure(interpreter=interpreter, cold_starts=args.cold_starts, work_dir=Path(work))
    document = {
        "python": LAMBDA_PYTHON_VERSION,
        "machine": describe_machine(),
        "cold_starts": args.cold_starts,
        "functions": [{**asdict(row), "init_ms_samples": [round(s, 1) for s in samples]} for row, samples in measured],
    }
    json_path, markdown_path = write_results(
        results_dir=args.results_dir,
        name="artifacts",
        figures=document,
        markdown=report(measured, cold_starts=args.cold_starts),
    )
    print(markdown_path.read_text())
    print(f"figures: {json_path}, {markdown_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Checkbox detector: the function against ultralytics' own predict, same ONNX model, same pages.

    PYTHONPATH=functions:. .venv-bench/bin/python -m benchmarks.checkbox \\
        --ultralytics-python .venv-train/bin/python [--pages 10] [--repeats 5] [--cold-starts 7] \\
        [--model models/checkbox/model.onnx] [--decoders-python /path/to/venv/bin/python]

Writes benchmarks/results/checkbox.json and .md. Figures, not tests: nothing here fails a build,
no test asserts a timing, and nothing is downloaded (no weights, no data: the pages are drawn
here, the model is the repository's file).

1. Held-out pages: `--pages` per cell, cells {JPEG, PNG} x {150, 300 dpi}, drawn by
   training.checkbox.synthetic_forms (the training generator) from seeds 900000.. (training
   uses small seeds), the same seeds in every cell; the boxes drawn on them are the truth
   (benchmarks/checkbox_pages.py).
2. The function (benchmarks/checkbox_warm.py, a worker under this interpreter, the function's
   package copied and compiled as the image holds it, the stack's environment: MODEL_PATH,
   MAX_IMAGE_PIXELS, MAX_PAGES, 3008 MB -> its intra-op threads): each page POSTed to /predict
   through `lambda_handler` as API Gateway delivers a binary body (REST proxy event, raw
   image/jpeg or image/png body, base64). Timed: event in -> JSON text of the answer out.
3. ultralytics (benchmarks/checkbox_ultralytics.py, a worker under --ultralytics-python):
   `YOLO(model, task="detect").predict(...)` with the function's defaults (conf 0.25, iou 0.45,
   max_det 300, imgsz = the model's input, device cpu). Timed: encoded bytes -> cv2.imdecode ->
   predict -> boxes as JSON text, as a user of ultralytics would serve an upload.
   The two workers take turns page by page (which goes first alternates), so both meet the
   machine in the same state; each page: `--warmup` untimed calls, then `--repeats` timed; a
   page's figure is the p50 of its repeats, a cell's the median of its pages' figures.
4. Scores (benchmarks/checkbox_scoring.py): match rate of the function's detections against
   ultralytics' (same class, IoU >= 0.95, one to one, greedy by confidence; matched / max(count
   of either side), summed over pages); precision and recall of each against the drawn boxes
   (same class, IoU >= 0.5, one to one, greedy by confidence).
5. Decode + resize options for the 300 dpi pages (benchmarks/checkbox_decoders.py), against
   ultralytics' own LetterBox(new_shape=input, auto=False) of the same page.
6. Cold start: fresh processes (`python -B`, the compiled package) importing the handler with
   the model (page-cached), then one request (a 300 dpi JPEG page).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from benchmarks.checkbox_pages import CELLS, Manifest, PageFile, cell_name, write_pages
from benchmarks.checkbox_scoring import (
    MATCH_IOU,
    TRUTH_IOU,
    PageMatch,
    TruthScore,
    match_pages,
    match_rate,
    score_against_truth,
    total,
)
from benchmarks.cold_start import measure_cold_starts
from benchmarks.lambda_packaging import copy_function_code
from benchmarks.machine import describe_machine
from benchmarks.report import RESULTS_DIR, markdown_table, write_results
from checkbox.config import TUNING_VARIABLES
from stacks.common.paths import REPO_ROOT
from tools.dockerfile import LAMBDA_BASE_IMAGE_ENV, runtime_stage

FUNCTION_DIR = REPO_ROOT / "functions" / "checkbox"
DEFAULT_MODEL = REPO_ROOT / "models" / "checkbox" / "model.onnx"
DEFAULT_ULTRALYTICS_PYTHON = REPO_ROOT / ".venv-train" / "bin" / "python"
MEMORY_MB = 3008  # the stack's setting: 2 vCPUs
STACK_ENVIRONMENT = {"MAX_IMAGE_PIXELS": "40000000", "MAX_PAGES": "20"}  # stacks/checkbox.py from CheckboxSettings
STACK_BODY_LIMIT = 4_500_000  # MAX_BODY_BYTES's default (the stack sets none): what API Gateway requests may carry
# Pages over it are refused (400) by the deployed function. So that the comparison still has the
# pipeline's figures for them, a second worker answers them with the handler's body limit lifted
# in process (benchmarks/checkbox_warm.py --lift-body-limit; the configuration cannot: it caps
# MAX_BODY_BYTES at Lambda's 6 MiB payload). No deployment receives such a page through API Gateway.
CONF, IOU, MAX_DET = 0.25, 0.45, 300  # the function's defaults, given to ultralytics too
TARGET_MATCH = 0.99
DECODE_OPTIONS = ("function", "pillow", "pillow-draft", "cv2", "imagecodecs")
DECODE_LABELS = {
    "function": "the function as it is (checkbox.imaging: simplejpeg / pyspng + cv2.resize)",
    "pillow": "(a) Pillow full decode + cv2.resize (the function's decoding before simplejpeg / pyspng)",
    "pillow-draft": "(b) Pillow reduced-scale JPEG decode (draft) + cv2.resize",
    "cv2": "(c) cv2.imdecode + cv2.resize(INTER_LINEAR)",
    "imagecodecs": "(d) imagecodecs.png_decode + cv2.resize",
}

COLD_START_SCRIPT = """
import time
started = time.perf_counter()
import base64, io, json, sys
real_stdout, sys.stdout = sys.stdout, io.StringIO()  # the handler's log lines: parsed below
import numpy, onnxruntime, PIL.Image, cv2, simplejpeg, pyspng, pybase64, aws_lambda_powertools.event_handler
libraries = time.perf_counter()
from checkbox.handler import lambda_handler
imported = time.perf_counter()
class Context:
    function_name = "checkbox-benchmark"
    function_version = "$LATEST"
    memory_limit_in_mb = 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:checkbox-benchmark"
    aws_request_id = "cold-start"
with open(IMAGE, "rb") as image:
    body = image.read()
event = {"httpMethod": "POST", "path": "/predict", "headers": {"Content-Type": CONTENT_TYPE},
         "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
response = lambda_handler(event, Context())
done = time.perf_counter()
captured, sys.stdout = sys.stdout.getvalue(), real_stdout
assert response["statusCode"] == 200, response
logged = [json.loads(line) for line in captured.splitlines() if '"model loaded"' in line]
with open(PHASES, "a") as phases:
    phases.write(json.dumps({
        "libraries_ms": (libraries - started) * 1000,
        "handler_import_ms": (imported - libraries) * 1000,
        "model_load_ms": logged[0]["load_ms"] if logged else None,
        "first_request_ms": (done - imported) * 1000,
    }) + "\\n")
print(json.dumps({"in_process_ms": (imported - started) * 1000}))
"""


def main() -> None:
    arguments = _parse_arguments()
    if arguments.render_only:
        return render_only()
    model_path = arguments.model.resolve()
    if not model_path.is_file():
        sys.exit(f"no model at {model_path}: train it (make train-checkbox) or pass --model")
    ultralytics_python = Path(
        os.path.abspath(arguments.ultralytics_python)
    )  # not resolve(): a venv's python is a symlink
    if not ultralytics_python.exists():
        sys.exit(f"no interpreter at {ultralytics_python}: make .venv-train/.installed, or pass --ultralytics-python")
    machine = describe_machine()
    load_before = os.getloadavg()
    print(f"machine: {machine}\nload average at start: {_load(load_before)}", flush=True)
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="checkbox-benchmark-") as scratch_text:
        scratch = Path(scratch_text)
        print(f"drawing {arguments.pages} held-out pages per cell...", flush=True)
        manifest = write_pages(scratch / "pages", pages_per_cell=arguments.pages)
        print(f"  {len(manifest.pages)} pages from {manifest.generator}", flush=True)

        code_root = scratch / "code"  # the function package as the image holds it: compiled
        copy_function_code(source=FUNCTION_DIR, destination_root=code_root)
        compileall.compile_dir(
            code_root, quiet=1, invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        env = _function_env(scratch, code_root, model_path)
        _read(model_path)  # into the page cache: the file's size must not count in the cold start

        print("starting the function's worker and ultralytics' worker...", flush=True)
        function = Worker(
            [sys.executable, "-m", "benchmarks.checkbox_warm", "--log", str(scratch / "function.log")],
            env=env,
            stderr_path=scratch / "function.err",
        )
        function_info = function.ready
        input_width, input_height = function_info["model"]["input"]["width"], function_info["model"]["input"]["height"]
        ultralytics = Worker(
            [
                str(ultralytics_python),
                "-m",
                "benchmarks.checkbox_ultralytics",
                "--model",
                str(model_path),
                "--imgsz",
                str(input_height),
                str(input_width),
                "--conf",
                str(CONF),
                "--iou",
                str(IOU),
                "--max-det",
                str(MAX_DET),
            ],
            env=_ultralytics_env(scratch),
            stderr_path=scratch / "ultralytics.err",
        )
        ultralytics_info = ultralytics.ready

        raised: list[Worker] = []

        def raised_limit() -> Worker:
            if not raised:
                raised.append(
                    Worker(
                        [
                            sys.executable,
                            "-m",
                            "benchmarks.checkbox_warm",
                            "--log",
                            str(scratch / "function-raised.log"),
                            "--lift-body-limit",
                        ],
                        env=env,
                        stderr_path=scratch / "function-raised.err",
                    )
                )
            return raised[0]

        print(
            f"side by side: {arguments.warmup} warm-up + {arguments.repeats} timed calls per page and side...",
            flush=True,
        )
        pages = compare(
            manifest, function, raised_limit, ultralytics, repeats=arguments.repeats, warmup=arguments.warmup
        )
        load_after_comparison = os.getloadavg()
        for worker in raised:
            worker.close()

        print("decode + resize options (300 dpi pages)...", flush=True)
        letterbox_dir = scratch / "letterbox"
        letterbox_dir.mkdir()
        big_pages = [page for page in manifest.pages if page.dpi == 300]
        windows = ultralytics.ask(
            {"letterbox": {"pages": [page.path for page in big_pages], "directory": str(letterbox_dir)}}
        )["windows"]
        function.close()
        ultralytics.close()
        decoding = decode_options(
            big_pages,
            windows,
            scratch=scratch,
            code_root=code_root,
            input_size=(input_width, input_height),
            repeats=arguments.decode_repeats,
            interpreters=_decode_interpreters(arguments, ultralytics_python),
        )

        print(f"cold starts ({arguments.cold_starts} fresh processes)...", flush=True)
        phases_path = scratch / "cold.jsonl"
        first = next(page for page in manifest.pages if page.cell == cell_name("JPEG", 300))
        script = (
            f"IMAGE = {first.path!r}\nCONTENT_TYPE = {first.content_type!r}\nPHASES = {str(phases_path)!r}\n"
            + COLD_START_SCRIPT
        )
        runs = measure_cold_starts(script=script, env=env, repeats=arguments.cold_starts)
        phases = [json.loads(line) for line in phases_path.read_text().splitlines()]

    figures: dict[str, Any] = {
        "machine": machine,
        "load_average": {
            "start": list(load_before),
            "after_side_by_side": list(load_after_comparison),
            "end": list(os.getloadavg()),
        },
        "duration_s": round(time.monotonic() - started, 1),
        "method": {
            "pages_per_cell": arguments.pages,
            "repeats": arguments.repeats,
            "warmup": arguments.warmup,
            "decode_repeats": arguments.decode_repeats,
            "cold_starts": arguments.cold_starts,
            "generator": manifest.generator,
            "seeds": sorted({page.seed for page in manifest.pages}),
            "thresholds": {
                "conf": CONF,
                "iou": IOU,
                "max_det": MAX_DET,
                "match_iou": MATCH_IOU,
                "truth_iou": TRUTH_IOU,
            },
            "memory_mb_for_threads": MEMORY_MB,
            "function": {
                "python": sys.executable,
                "versions": _versions(),
                "intra_op_threads": function_info["intra_op_threads"],
                "defaults": function_info["defaults"],
            },
            "ultralytics": {
                "python": str(ultralytics_python),
                **{k: v for k, v in ultralytics_info.items() if k != "ready"},
            },
            "model": {
                key: function_info["model"][key]
                for key in ("path", "sha256", "size_bytes", "input", "output", "class_names", "metadata")
            },
        },
        "pages": pages,
        "cells": summarize_cells(pages),
        "decoding": decoding,
        "cold_start": {
            "in_process_ms": _summary([run.in_process_ms for run in runs]),
            "wall_ms": _summary([run.wall_ms for run in runs]),
            "phases_median": {
                key: statistics.median(p[key] for p in phases) for key in phases[0] if phases[0][key] is not None
            },
        },
    }
    figures["targets"] = evaluate_targets(figures)
    markdown = render_markdown(figures)
    json_path, markdown_path = write_results(
        results_dir=RESULTS_DIR, name="checkbox", figures=figures, markdown=markdown
    )
    print()
    print(markdown)
    print(f"\nload average at end: {_load(os.getloadavg())}")
    print(f"wrote {_shown(json_path)} and {_shown(markdown_path)}")


def render_only() -> None:
    """The summaries, targets and Markdown again from the per-page figures of the last run."""
    figures = json.loads((RESULTS_DIR / "checkbox.json").read_text())
    figures["cells"] = summarize_cells(figures["pages"])
    figures["targets"] = evaluate_targets(figures)
    markdown = render_markdown(figures)
    json_path, markdown_path = write_results(
        results_dir=RESULTS_DIR, name="checkbox", figures=figures, markdown=markdown
    )
    print(markdown)
    print(f"rewrote {_shown(json_path)} and {_shown(markdown_path)} from the figures of the run")


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--ultralytics-python",
        default=str(DEFAULT_ULTRALYTICS_PYTHON),
        help="interpreter with ultralytics, torch, opencv-python, onnxruntime (default .venv-train/bin/python)",
    )
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="the exported ONNX model (default models/checkbox/model.onnx)"
    )
    parser.add_argument("--pages", type=int, default=10, help="held-out pages per cell")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per page and side")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls per page and side before those")
    parser.add_argument("--decode-repeats", type=int, default=3, help="timed calls per page and decode option")
    parser.add_argument("--cold-starts", type=int, default=7, help="fresh processes")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: recompute the summaries, targets and Markdown from the saved checkbox.json",
    )
    parser.add_argument(
        "--decoders-python",
        action="append",
        default=[],
        help="another interpreter to run the decode options this one lacks in (cv2, imagecodecs)"
        "; may be given more than once; the ultralytics interpreter is tried last",
    )
    return parser.parse_args()


class Worker:
    """A benchmark worker process speaking one JSON object per line on stdin/stdout."""

    def __init__(self, command: list[str], *, env: dict[str, str], stderr_path: Path) -> None:
        self._stderr_path = stderr_path
        self._stderr: IO[bytes] = stderr_path.open("wb")
        self._process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.ready = self._read()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._stderr.flush()
            tail = self._stderr_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"worker {self._process.args[:4]} exited with {self._process.returncode}:\n{tail}")
        return json.loads(line)

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps({"quit": True}) + "\n")
            self._process.stdin.close()
            self._process.wait(timeout=60)
        self._stderr.close()


def compare(
    manifest: Manifest,
    function: Worker,
    raised_limit: Callable[[], Worker],
    ultralytics: Worker,
    *,
    repeats: int,
    warmup: int,
) -> list[dict[str, Any]]:
    """Every page through both sides, taking turns (pages of all cells interleaved). A page the
    function refuses for its body limit is answered again by `raised_limit()`'s worker."""
    order = sorted(manifest.pages, key=lambda page: (page.seed, CELLS.index((page.image_format, page.dpi))))
    results = []
    for number, page in enumerate(order):
        request = {"path": page.path, "content_type": page.content_type, "repeats": repeats, "warmup": warmup}
        asks = {
            "function": lambda r=request: function.ask(r),
            "ultralytics": lambda p=page: ultralytics.ask(
                {"predict": {"path": p.path, "repeats": repeats, "warmup": warmup}}
            ),
        }
        sides = list(asks) if number % 2 == 0 else list(reversed(asks))
        answers = {}
        for side in sides:
            time.sleep(0.2)  # the other side's onnxruntime threads stop spinning before this one starts
            answers[side] = asks[side]()
            if side == "function" and answers[side]["status"] == 400 and page.bytes > STACK_BODY_LIMIT:
                deployed = answers[side]
                answers[side] = raised_limit().ask(request) | {
                    "deployed": {"status": deployed["status"], "error": deployed["error"]}
                }
        f, u = answers["function"], answers["ultralytics"]
        answered = f["status"] == 200
        match = match_pages(f["detections"], u["detections"])
        f_truth = score_against_truth(f["detections"], page.boxes)
        u_truth = score_against_truth(u["detections"], page.boxes)
        results.append(
            {
                "id": page.id,
                "cell": page.cell,
                "seed": page.seed,
                "bytes": page.bytes,
                "drawn": len(page.boxes),
                "function": {
                    "status": f["status"],
                    "error": f.get("error"),
                    "deployed_refused": f.get(
                        "deployed"
                    ),  # the deployed limit's answer, when the raised limit answered
                    "p50_ms": _p50(f["times_ms"]) if answered else None,
                    "min_ms": min(f["times_ms"]) if answered else None,
                    "times_ms": f["times_ms"],
                    "stages_p50_ms": {k: _p50([s[k] for s in f["stages_ms"]]) for k in f["stages_ms"][0]}
                    if answered
                    else None,
                    "detections": f["detections"],
                    "truth": vars(f_truth),
                },
                "ultralytics": {
                    "p50_ms": _p50(u["times_ms"]),
                    "min_ms": min(u["times_ms"]),
                    "times_ms": u["times_ms"],
                    "detections": u["detections"],
                    "truth": vars(u_truth),
                },
                "match": vars(match),
            }
        )
        status = "" if answered else f"  FUNCTION REFUSED {f['status']}: {json.dumps(f.get('error'))[:160]}"
        if "deployed" in f:
            status += (
                f"  (over the deployed {STACK_BODY_LIMIT:,}-byte body limit: answered with the limit lifted in process)"
            )
        print(
            f"  {page.id:<18} function {_ms(results[-1]['function']['p50_ms'])}  ultralytics {_ms(results[-1]['ultralytics']['p50_ms'])}"
            f"  match {match.matched}/{max(match.first, match.second)}  drawn {len(page.boxes)}{status}",
            flush=True,
        )
    return results


def summarize_cells(pages: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {cell_name(f, d): [] for f, d in CELLS}
    for page in pages:
        groups[page["cell"]].append(page)
    for image_format in sorted({f for f, _ in CELLS}):
        groups[f"{image_format} (both dpi)"] = [p for p in pages if p["cell"].startswith(image_format + " ")]
    groups["all pages"] = list(pages)
    return {name: _summarize(group) for name, group in groups.items() if group}


def _summarize(group: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [page for page in group if page["function"]["status"] == 200]
    one_cell = len({page["cell"] for page in group}) == 1
    average = statistics.median if one_cell else statistics.mean
    f_truth = total([_truth(page["function"]["truth"]) for page in group])
    u_truth = total([_truth(page["ultralytics"]["truth"]) for page in group])
    matches = [PageMatch(**page["match"]) for page in group]
    f_times = [page["function"]["p50_ms"] for page in answered]
    u_times = [page["ultralytics"]["p50_ms"] for page in answered]  # the same pages as the function's
    stages = {}
    if answered:
        for stage in answered[0]["function"]["stages_p50_ms"]:
            stages[stage] = statistics.median(page["function"]["stages_p50_ms"][stage] for page in answered)
    return {
        "pages": len(group),
        "answered_by_function": len(answered),
        "refused_by_function": [
            {
                "id": p["id"],
                "bytes": p["bytes"],
                "status": p["function"]["status"],
                "error": (p["function"]["error"] or {}).get("error"),
            }
            for p in group
            if p not in answered
        ],
        "over_deployed_body_limit": [
            {
                "id": p["id"],
                "bytes": p["bytes"],
                "status": p["function"]["deployed_refused"]["status"],
                "error": p["function"]["deployed_refused"]["error"].get("error"),
            }
            for p in group
            if p["function"].get("deployed_refused")
        ],
        "bytes_median": statistics.median(page["bytes"] for page in group),
        # one cell: the median of its pages' p50s; several cells (pages of different sizes): their mean
        "function_ms": average(f_times) if f_times else None,
        "ultralytics_ms": average(u_times) if u_times else None,
        # the fastest call of the cell (over its pages x repeats): the nearest this run gets to a quiet machine
        "function_fastest_ms": min(page["function"]["min_ms"] for page in answered) if answered and one_cell else None,
        "ultralytics_fastest_ms": min(page["ultralytics"]["min_ms"] for page in answered)
        if answered and one_cell
        else None,
        "ultralytics_ms_all_pages": statistics.median(page["ultralytics"]["p50_ms"] for page in group),
        "function_stages_ms": stages,
        "match_rate": match_rate(matches),
        "matched": sum(m.matched for m in matches),
        "match_denominator": sum(max(m.first, m.second) for m in matches),
        "max_confidence_difference": max(m.max_confidence_difference for m in matches),
        "function_detections": f_truth.detections,
        "ultralytics_detections": u_truth.detections,
        "drawn": f_truth.drawn,
        "function_precision": f_truth.precision,
        "function_recall": f_truth.recall,
        "ultralytics_precision": u_truth.precision,
        "ultralytics_recall": u_truth.recall,
    }


def _truth(data: dict[str, int]) -> TruthScore:
    return TruthScore(**data)


def decode_options(
    pages: list[PageFile],
    windows: dict[str, Any],
    *,
    scratch: Path,
    code_root: Path,
    input_size: tuple[int, int],
    repeats: int,
    interpreters: list[tuple[str, str]],
) -> dict[str, Any]:
    """Each option in the first interpreter that has it (this one first: the function's versions)."""
    job_pages = [{"path": page.path, "image_format": page.image_format, **windows[page.path]} for page in pages]
    env = os.environ | {"PYTHONPATH": f"{code_root}{os.pathsep}{REPO_ROOT}"}
    env.pop("PYTHONSTARTUP", None)
    found: dict[str, Any] = {}
    missing = list(DECODE_OPTIONS)
    for number, (label, python) in enumerate(interpreters):
        if not missing:
            break
        job_path, output = scratch / f"decode-job-{number}.json", scratch / f"decode-{number}.json"
        job_path.write_text(
            json.dumps({"input_size": list(input_size), "pages": job_pages, "options": missing, "repeats": repeats})
        )
        completed = subprocess.run(
            [python, "-m", "benchmarks.checkbox_decoders", "--job", str(job_path), "--output", str(output)],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            print(f"  decode options under {python} failed:\n{completed.stderr[-2000:]}", flush=True)
            continue
        measured = json.loads(output.read_text())["options"]
        for option, result in measured.items():
            if result["available"]:
                found[option] = {"interpreter": label, "python": python, **result}
                missing.remove(option)
            else:
                found.setdefault(option, {"available": False, "tried": []})["tried"].append(f"{label}: {result['why']}")
    return {"options": found, "interpreters": [label for label, _ in interpreters]}


def _decode_interpreters(arguments: argparse.Namespace, ultralytics_python: Path) -> list[tuple[str, str]]:
    interpreters = [("bench venv (this interpreter)", sys.executable)]
    interpreters += [(f"--decoders-python {python}", os.path.abspath(python)) for python in arguments.decoders_python]
    interpreters.append(("ultralytics venv", str(ultralytics_python)))
    return interpreters


def _function_env(scratch: Path, code_root: Path, model_path: Path) -> dict[str, str]:
    """The parent's environment minus the function's tuning variables, plus what the image, the
    stack and Lambda set (3008 MB -> 2 threads), caches under the scratch directory (never $HOME)."""
    tuning = (*TUNING_VARIABLES, "POWERTOOLS_DEV")
    environment = {name: value for name, value in os.environ.items() if name not in tuning}
    image = runtime_stage(FUNCTION_DIR / "Dockerfile").env  # e.g. its malloc tuning
    return (
        environment
        | {name: value for name, value in image.items() if name not in LAMBDA_BASE_IMAGE_ENV}
        | STACK_ENVIRONMENT
        | {
            "PYTHONPATH": f"{code_root}{os.pathsep}{REPO_ROOT}",
            "MODEL_PATH": str(model_path),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
            "AWS_LAMBDA_FUNCTION_NAME": "checkbox-benchmark",
            "POWERTOOLS_SERVICE_NAME": "checkbox",
            "POWERTOOLS_METRICS_NAMESPACE": "MlInference",
            "XDG_CACHE_HOME": str(scratch / "cache"),
        }
    )


def _ultralytics_env(scratch: Path) -> dict[str, str]:
    """ultralytics offline, its settings and caches in the scratch directory; not the function's code."""
    environment = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONSTARTUP")}
    return environment | {
        "YOLO_OFFLINE": "1",
        "YOLO_VERBOSE": "False",
        "YOLO_CONFIG_DIR": str(scratch / "ultralytics"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
        "MPLCONFIGDIR": str(scratch / "matplotlib"),
    }


def _versions() -> dict[str, str]:
    from importlib import metadata

    libraries = (
        "onnxruntime",
        "numpy",
        "pillow",
        "simplejpeg",
        "pyspng",
        "pybase64",
        "opencv-python-headless",
        "aws-lambda-powertools",
    )
    return {name: metadata.version(name) for name in libraries} | {"python": sys.version.split()[0]}


def _read(path: Path) -> None:
    with path.open("rb") as stream:
        while stream.read(1 << 24):
            pass


def _p50(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) + 1) // 2 - 1]  # nearest rank: a value that was measured


def _summary(values: list[float]) -> dict[str, float | int]:
    return {"runs": len(values), "median_ms": statistics.median(values), "min_ms": min(values), "max_ms": max(values)}


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load) + " (1, 5, 15 min)"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def evaluate_targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    cells = figures["cells"]
    checks: list[tuple[str, str, bool | None]] = []
    overall = cells["all pages"]
    for name in [cell_name(f, d) for f, d in CELLS] + ["all pages"]:
        if name in cells:
            rate = cells[name]["match_rate"]
            checks.append((f"{name}: match rate >= {TARGET_MATCH:.0%}", _pct(rate), rate >= TARGET_MATCH))
    for measure in ("precision", "recall"):
        mine, theirs = overall[f"function_{measure}"], overall[f"ultralytics_{measure}"]
        passed = None if mine is None or theirs is None else mine >= theirs
        checks.append((f"all pages: function {measure} >= ultralytics'", f"{_pct(mine)} vs {_pct(theirs)}", passed))
    for image_format in ("JPEG", "PNG"):
        group = cells.get(f"{image_format} (both dpi)")
        if not group:
            continue
        mine, theirs = group["function_ms"], group["ultralytics_ms"]
        passed = None if mine is None else mine <= theirs
        note = (
            ""
            if not group["refused_by_function"]
            else f" ({len(group['refused_by_function'])} pages refused, not timed)"
        )
        if group["over_deployed_body_limit"]:
            note += f" (of which {len(group['over_deployed_body_limit'])} over the deployed body limit \\*)"
        checks.append(
            (
                f"{image_format}: function time per page p50 <= ultralytics' (mean over both dpi)",
                f"{_ms(mine)} vs {_ms(theirs)}{note}",
                passed,
            )
        )
    for image_format, dpi in CELLS:  # the same on the fastest calls, per cell: nearest to a quiet machine
        group = cells.get(cell_name(image_format, dpi))
        if not group or group["function_fastest_ms"] is None:
            continue
        mine, theirs = group["function_fastest_ms"], group["ultralytics_fastest_ms"]
        checks.append(
            (
                f"{cell_name(image_format, dpi)}: the same on the cell's fastest call (nearest to a quiet machine)",
                f"{_ms(mine)} vs {_ms(theirs)}",
                mine <= theirs,
            )
        )
    return [
        {"target": target, "measured": measured, "result": {True: "PASS", False: "FAIL", None: "n/a"}[passed]}
        for target, measured, passed in checks
    ]


def render_markdown(figures: dict[str, Any]) -> str:
    machine, method, cells, cold = figures["machine"], figures["method"], figures["cells"], figures["cold_start"]
    model, fn, ul = method["model"], method["function"], method["ultralytics"]
    rows = []
    for name, cell in cells.items():
        ratio = cell["function_ms"] / cell["ultralytics_ms"] if cell["function_ms"] and cell["ultralytics_ms"] else None
        fastest = (
            cell["function_fastest_ms"] / cell["ultralytics_fastest_ms"]
            if cell["function_fastest_ms"] and cell["ultralytics_fastest_ms"]
            else None
        )
        pages = f"{cell['pages']}"
        if cell["refused_by_function"]:
            pages += f" ({len(cell['refused_by_function'])} refused)"
        if cell["over_deployed_body_limit"]:
            pages += f" ({len(cell['over_deployed_body_limit'])} over the body limit \\*)"
        bold = name == "all pages"
        row = [
            name,
            pages,
            f"{cell['bytes_median'] / 1e6:.2f} MB",
            _ms(cell["function_ms"]),
            _ms(cell["ultralytics_ms"]),
            "-" if ratio is None else f"{ratio:.2f}x",
            f"{_ms(cell['function_fastest_ms'])} / {_ms(cell['ultralytics_fastest_ms'])}"
            + ("" if fastest is None else f" = {fastest:.2f}x"),
            f"{_pct(cell['match_rate'])} ({cell['matched']}/{cell['match_denominator']})",
            f"{_pct(cell['function_precision'])} / {_pct(cell['function_recall'])}",
            f"{_pct(cell['ultralytics_precision'])} / {_pct(cell['ultralytics_recall'])}",
            f"{cell['function_detections']} / {cell['ultralytics_detections']} / {cell['drawn']}",
        ]
        rows.append([f"**{value}**" for value in row] if bold else row)
    table = markdown_table(
        headers=[
            "cell",
            "pages",
            "file (median)",
            "function p50",
            "ultralytics p50",
            "function / ultralytics (target <= 1)",
            "fastest call: function / ultralytics",
            f"match rate (target >= {TARGET_MATCH:.0%})",
            "function precision / recall (target >= ultralytics')",
            "ultralytics precision / recall",
            "detections function / ultralytics / drawn",
        ],
        rows=rows,
    )
    stage_names = ("decode", "preprocess", "inference", "postprocess")
    stage_rows = [
        [
            name,
            *(
                _ms(cell["function_stages_ms"].get(stage)) if cell["function_stages_ms"] else "-"
                for stage in stage_names
            ),
        ]
        for name, cell in cells.items()
        if " dpi" in name and "both" not in name
    ]
    stage_table = markdown_table(headers=["function stages, p50 (its own timing_ms)", *stage_names], rows=stage_rows)
    target_table = markdown_table(
        headers=["target (from the issue)", "measured", "result"],
        rows=[[t["target"], t["measured"], t["result"]] for t in figures["targets"]],
    )

    decoding = figures["decoding"]["options"]
    decode_rows = []
    for option in DECODE_OPTIONS:
        result = decoding.get(option)
        if not result or not result.get("available"):
            why = "; ".join(result.get("tried", [])) if result else "not run"
            decode_rows.append([DECODE_LABELS[option], "unavailable", "-", "-", "-", "-", why[:140]])
            continue
        package = result.get("package")
        extra = (
            "none (already shipped)"
            if package is None
            else f"{package['distribution']} {package['version']}: {package['installed_bytes'] / 1e6:.0f} MB, import {package['import_ms_median_of_5']:.0f} ms"
        )
        cells_out = []
        for image_format in ("JPEG", "PNG"):
            measured = result["formats"].get(image_format)
            cells_out.append("n/a" if measured is None else _ms(measured["p50_ms"]))
            cells_out.append(
                "n/a"
                if measured is None
                else f"{measured['mean_abs_difference_255']:.4f} / {100 * measured['identical_share']:.1f} %"
            )
        threads = f" (OpenCV threads: {result['threads']})" if "threads" in result else ""
        decode_rows.append([DECODE_LABELS[option], *cells_out, extra, result["interpreter"] + threads])
    decode_table = markdown_table(
        headers=[
            "bytes -> RGB at letterbox size, 300 dpi pages",
            "JPEG p50",
            "JPEG vs ultralytics (MAD /255, identical)",
            "PNG p50",
            "PNG vs ultralytics (MAD /255, identical)",
            "extra package (installed size, import)",
            "run in",
        ],
        rows=decode_rows,
    )

    single = [(name, cell) for name, cell in cells.items() if " dpi" in name and "both" not in name]
    notes = []
    over = [r for _, cell in single for r in cell["over_deployed_body_limit"]]
    if over:
        sizes = ", ".join(f"{r['id']} {r['bytes'] / 1e6:.2f} MB" for r in over)
        notes.append(
            f"\\* **{len(over)} of {cells['all pages']['pages']} pages are over the deployed function's body limit**"
            f" (MAX_BODY_BYTES {STACK_BODY_LIMIT:,} bytes; {sizes}):"
            f' through API Gateway the deployed function answers HTTP {over[0]["status"]}, "{over[0]["error"]}".'
            " So that the pipelines can still be compared on them, their figures above come from a second worker whose handler"
            " has the body limit lifted in process (the configuration cannot lift it: MAX_BODY_BYTES is capped at Lambda's"
            " 6 MiB payload limit). No deployment receives these pages through API Gateway: as base64 in the event they exceed"
            " Lambda's 6 MiB payload limit, so clients must send such scans as JPEG (or smaller PNGs)."
        )
    refused = [r for _, cell in single for r in cell["refused_by_function"]]
    if refused:
        first = refused[0]
        notes.append(
            f"**The function refused {len(refused)} of {cells['all pages']['pages']} pages** ({', '.join(r['id'] for r in refused)}):"
            f' HTTP {first["status"]}, "{first["error"]}". They count as pages where the function found nothing in the match'
            " rate and in precision / recall; the time columns compare only the pages the function answered (ultralytics on"
            " all pages of those cells: "
            + ", ".join(
                f"{name} {_ms(cell['ultralytics_ms_all_pages'])}"
                for name, cell in single
                if cell["refused_by_function"]
            )
            + ")."
        )
    refused_text = "".join(f"\n{note}\n" for note in notes)
    threads = ul["threads"]
    versions = ul["versions"]
    fn_versions = fn["versions"]
    metadata = model.get("metadata", {})
    return "\n".join(
        [
            "# Checkbox detector benchmark: the function against ultralytics' predict",
            "",
            f"Machine: {machine['cpu_model']}, {machine['usable_cores']} usable of {machine['logical_cores']} logical cores,"
            f" {machine['platform']}. Load average at start {figures['load_average']['start'][0]:.2f}, at end"
            f" {figures['load_average']['end'][0]:.2f} (1 min); the run took {figures['duration_s']:.0f} s.",
            f"Model: `{_shown(Path(model['path']))}` ({model['size_bytes'] / 1e6:.1f} MB, sha256 {model['sha256'][:12]}…,"
            f" input {model['input']['width']} x {model['input']['height']}, classes {', '.join(model['class_names'])};"
            f" {metadata.get('description', 'no description')}, version {metadata.get('version', '?')}).",
            f"Pages: {method['pages_per_cell']} per cell from `{method['generator']}`, seeds {method['seeds'][0]}–{method['seeds'][-1]}"
            " (held out: training uses small seeds), the same seeds in every cell; truth = the boxes drawn on them.",
            f"Function: `checkbox.handler.lambda_handler` in a worker under {_shown(Path(fn['python']))} (Python {fn_versions['python']},"
            f" onnxruntime {fn_versions['onnxruntime']}, numpy {fn_versions['numpy']}, Pillow {fn_versions['pillow']},"
            f" simplejpeg {fn_versions.get('simplejpeg', '?')}, pyspng {fn_versions.get('pyspng', '?')},"
            f" pybase64 {fn_versions.get('pybase64', '?')}, OpenCV {fn_versions.get('opencv-python-headless', '?')}), the image's and the stack's environment at {method['memory_mb_for_threads']} MB: {fn['intra_op_threads']} intra-op threads, spinning during a run and stopped when it returns (session.force_spinning_stop);"
            " each page POSTed as API Gateway delivers it (REST proxy event, raw image body, base64); timed from the event to the"
            " JSON text of the answer.",
            f"ultralytics: {versions['ultralytics']} under {_shown(Path(ul['python']))} (torch {versions['torch']}, OpenCV"
            f' {versions["opencv"]}, onnxruntime {versions["onnxruntime"]}), `YOLO(model, task="detect").predict(image,'
            f' imgsz={model["input"]["height"]}, conf={CONF}, iou={IOU}, max_det={MAX_DET}, device="cpu")`; timed from the encoded'
            f" bytes: cv2.imdecode + predict + boxes to JSON text. Its onnxruntime session has ultralytics' defaults"
            f" (intra_op_num_threads {threads['onnxruntime_intra_op']} = one per physical core, spinning {threads['onnxruntime_spinning']});"
            f" torch {threads['torch']} thread(s), OpenCV {threads['opencv']} (ultralytics sets them), OMP_NUM_THREADS {threads['OMP_NUM_THREADS']}.",
            f"Timing: both workers alive side by side, taking turns page by page; per page {method['warmup']} warm-up call(s), then"
            f" {method['repeats']} timed calls: a page's figure is their p50, a cell's the median over its pages (rows of several"
            ' cells, whose pages differ in size: the mean over their pages). "Fastest call":'
            " the cell's fastest call over all its pages and repeats (the nearest this run gets to a quiet machine: the pages of"
            " a cell have the same size and nearly the same work). The machine is shared: load average"
            f" (1 min) {figures['load_average']['start'][0]:.2f} at the start, {figures['load_average']['after_side_by_side'][0]:.2f}"
            " after the side-by-side part. Load slows the two sides differently (ultralytics' onnxruntime threads keep spinning"
            " after a run, the function's stop), so read the p50s together with the fastest calls.",
            f"Match rate: function vs ultralytics detections, same class and IoU >= {MATCH_IOU}, one to one, greedy by confidence;"
            " matched / max(function's, ultralytics') summed over the pages. Precision / recall: against the drawn boxes, same"
            f" class, IoU >= {TRUTH_IOU}, one to one, greedy by confidence, summed over the pages.",
            "",
            table,
            refused_text,
            "## Targets",
            "",
            target_table,
            "",
            "## Where the function's time goes",
            "",
            stage_table,
            "",
            "## Decode + resize options (300 dpi pages)",
            "",
            f"From the encoded bytes to the page's RGB pixels at the letterbox content size, p50 over {method['pages_per_cell']}"
            f" pages x {method['decode_repeats']} calls per format; compared with ultralytics' own"
            " `LetterBox(new_shape, auto=False)` output of the same page (cv2.imdecode + cv2.resize INTER_LINEAR, in the ultralytics"
            " venv) on the page's window (padding left out): mean absolute difference in /255 units and the share of identical"
            " values. Extra package: installed size of its distribution (bundled libraries included) and its import time in a"
            " fresh process that already has numpy and PIL.Image (median of 5).",
            "",
            decode_table,
            "",
            "## Cold start",
            "",
            markdown_table(
                headers=["measure", "value"],
                rows=[
                    [
                        "import + session creation (in process): median (min, max)",
                        f"{_ms(cold['in_process_ms']['median_ms'])} ({_ms(cold['in_process_ms']['min_ms'])}, {_ms(cold['in_process_ms']['max_ms'])})",
                    ],
                    [
                        "  of which libraries (numpy, onnxruntime, Pillow, OpenCV, the decoders, Powertools)",
                        _ms(cold["phases_median"]["libraries_ms"]),
                    ],
                    [
                        "  of which handler import (config, model read + sha256, session)",
                        _ms(cold["phases_median"]["handler_import_ms"]),
                    ],
                    [
                        "    of which model load (read, sha256, session creation)",
                        _ms(cold["phases_median"]["model_load_ms"])
                        if "model_load_ms" in cold["phases_median"]
                        else "-",
                    ],
                    [
                        "whole process (interpreter start to exit, incl. first request): median",
                        _ms(cold["wall_ms"]["median_ms"]),
                    ],
                    [
                        "first request after the cold start (a 300 dpi JPEG page)",
                        _ms(cold["phases_median"]["first_request_ms"]),
                    ],
                    ["model file size (page-cached, not counted above)", f"{model['size_bytes'] / 1e6:.1f} MB"],
                ],
            ),
            "",
            f"{method['cold_starts']} fresh processes (`python -B`, the function package compiled as the image compiles it).",
        ]
    )


if __name__ == "__main__":
    main()

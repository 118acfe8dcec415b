"""Train the mask predictor's CRF and write the model directory the function loads.

    python -m training.mask_predictor.train               # grid search + final model (make train-mask)
    python -m training.mask_predictor.train --no-search   # reuse c1/c2 of the current model.json

Steps: load and validate the data, split it deterministically (held-out = 20 % of names by a
stable hash), choose c1/c2 by k-fold cross-validation on the training split, train on the
whole training split, score the held-out split, write `mask_crf.crfsuite` + `model.json`.
Same data + same parameters -> byte-identical files (CRFsuite's L-BFGS training has no
randomness; checked by tests/training).
Progress goes to stderr, the final report to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mask_predictor.features import FEATURE_VERSION
from mask_predictor.predictor import METADATA_FILE_NAME
from mask_predictor.scheme import LABELS
from training.mask_predictor import crf
from training.mask_predictor.artifacts import DEFAULT_OUTPUT_DIR, publish, temporary_model_file
from training.mask_predictor.dataset import (
    DEFAULT_DATA_PATH,
    DEFAULT_SYNTHETIC_PATH,
    DatasetError,
    file_sha256,
    load_labelled_names,
    split,
)
from training.mask_predictor.evaluation import report, score
from training.mask_predictor.search import DEFAULT_FOLDS, grid_search

MODEL_NAME = "mask-crf"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.mask_predictor.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_PATH, help="labelled names (TSV)")
    parser.add_argument(
        "--synthetic",
        type=Path,
        default=None,
        help=f"optional extra training names, same format (default: {DEFAULT_SYNTHETIC_PATH.name}"
        " next to --data, if present); never used for the held-out score",
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="skip the grid search; take c1/c2 from --params-from",
    )
    parser.add_argument(
        "--params-from",
        type=Path,
        default=DEFAULT_OUTPUT_DIR / METADATA_FILE_NAME,
        help="model.json whose c1/c2 --no-search reuses (default: the committed model's)",
    )
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help="cross-validation folds")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for the grid search (results do not depend on it)",
    )
    return parser.parse_args(argv)


def previous_params(path: Path) -> tuple[float, float]:
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
        return float(metadata["c1"]), float(metadata["c2"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"--no-search needs c1 and c2 from {path}: {error}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    synthetic_path = args.synthetic or args.data.parent / DEFAULT_SYNTHETIC_PATH.name
    try:
        names = load_labelled_names(args.data)
        synthetic = load_labelled_names(synthetic_path) if args.synthetic is not None or synthetic_path.exists() else ()
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    data_split = split(names, synthetic=synthetic)
    real_train = len(data_split.train) - data_split.synthetic_names
    dropped = data_split.synthetic_dropped
    print(
        f"data: {args.data} ({len(names)} names): {real_train} train, {len(data_split.held_out)}"
        f" held out; synthetic: {data_split.synthetic_names} added to training"
        + (f", {dropped} dropped as duplicates of real names" if dropped else ""),
        file=sys.stderr,
    )

    if args.no_search:
        c1, c2 = previous_params(args.params_from)
        print(f"--no-search: c1={c1:g} c2={c2:g} from {args.params_from}", file=sys.stderr)
        grid_summary = None
    else:
        best, points = grid_search(data_split.train, fold_count=args.folds, jobs=args.jobs)
        c1, c2 = best.c1, best.c2
        grid_summary = (best, points)
    search_seconds = time.perf_counter() - started

    train_sequences = crf.featurize([item.name for item in data_split.train])
    train_labels = [list(item.labels) for item in data_split.train]
    held_out_truth = [list(item.labels) for item in data_split.held_out]
    fit_started = time.perf_counter()
    with temporary_model_file(args.output_dir) as model_file:
        model = crf.fit(train_sequences, train_labels, c1=c1, c2=c2, model_filename=model_file)
        fit_seconds = time.perf_counter() - fit_started
        held_out_predicted = crf.predict(model, crf.featurize([item.name for item in data_split.held_out]))
        held_out_scores = score(held_out_truth, held_out_predicted)
        metadata = build_metadata(
            model_sha256=file_sha256(model_file),
            c1=c1,
            c2=c2,
            data_sha256=file_sha256(args.data),
            synthetic_sha256=file_sha256(synthetic_path) if synthetic else None,
            train_names=real_train,
            held_out_names=len(data_split.held_out),
            synthetic_names=data_split.synthetic_names,
            held_out=held_out_scores.as_metadata(),
        )
        model_path, metadata_path = publish(trained_model=model_file, metadata=metadata, output_dir=args.output_dir)

    if grid_summary is not None:
        best, points = grid_summary
        print("\ncross-validation (pooled out-of-fold token accuracy; rows c1, columns c2):")
        print(format_grid(points))
        print(
            f"best: c1={best.c1:g} c2={best.c2:g} token acc {best.token_accuracy:.4f} name acc {best.name_accuracy:.4f}"
        )
    print(f"\nheld-out split ({held_out_scores.names} names, {held_out_scores.tokens} tokens):")
    print(report(held_out_truth, held_out_predicted))
    print(f"token accuracy {held_out_scores.token_accuracy:.4f}   name accuracy {held_out_scores.name_accuracy:.4f}")
    errors = [
        (item, predicted)
        for item, predicted in zip(data_split.held_out, held_out_predicted, strict=False)
        if list(item.labels) != predicted
    ]
    if errors:
        print(f"\nheld-out names with errors ({len(errors)}), token: expected -> predicted")
        for item, predicted in errors:
            wrong = ", ".join(
                f"{token}: {expected} -> {got}"
                for token, expected, got in zip(item.tokens, item.labels, predicted, strict=False)
                if expected != got
            )
            print(f"  line {item.line_number}: {item.name}  [{wrong}]")
    print(
        f"\nwrote {model_path} ({model_path.stat().st_size} bytes, sha256 {metadata['sha256'][:12]}...)"
        f" and {metadata_path}"
    )
    print(
        f"time: search {search_seconds:.1f} s, final training {fit_seconds:.1f} s,"
        f" total {time.perf_counter() - started:.1f} s"
    )
    return 0


def build_metadata(
    *,
    model_sha256: str,
    c1: float,
    c2: float,
    data_sha256: str,
    synthetic_sha256: str | None,
    train_names: int,
    held_out_names: int,
    synthetic_names: int,
    held_out: dict[str, Any],
) -> dict[str, Any]:
    return {
        "model_name": MODEL_NAME,
        "sha256": model_sha256,
        "feature_version": FEATURE_VERSION,
        "labels": list(LABELS),
        "c1": c1,
        "c2": c2,
        "training_data_sha256": data_sha256,
        "synthetic_data_sha256": synthetic_sha256,
        "train_names": train_names,
        "held_out_names": held_out_names,
        "synthetic_names": synthetic_names,
        "held_out": held_out,
        "trainer": {
            "algorithm": crf.ALGORITHM,
            "max_iterations": crf.MAX_ITERATIONS,
            "all_possible_transitions": crf.ALL_POSSIBLE_TRANSITIONS,
            "python_crfsuite": version("python-crfsuite"),
            "sklearn_crfsuite": version("sklearn-crfsuite"),
        },
    }


def format_grid(points: Sequence[Any]) -> str:
    c2_values = sorted({p.c2 for p in points})
    lines = ["c1 \\ c2  " + "".join(f"{c2:>9g}" for c2 in c2_values)]
    for c1 in sorted({p.c1 for p in points}):
        row = {p.c2: p.token_accuracy for p in points if p.c1 == c1}
        lines.append(f"{c1:<9g} " + "".join(f"{row[c2]:>9.4f}" for c2 in c2_values))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

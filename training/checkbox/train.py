"""Train the checkbox detector from nothing but this repository: `make train-checkbox`.

    python -m training.checkbox.train [--scratch build/checkbox-training] [--epochs 8] ...

1. writes a YOLO dataset of synthetic scanned forms (training/checkbox/synthetic_forms.py):
   train and val pages downscaled to the training size, held-out test pages at full size;
2. trains YOLOv8n from its architecture file (`yolov8n.yaml`, no pretrained weights) on the CPU;
3. validates the best weights on the held-out test pages (per-class precision, recall, mAP);
4. exports ONNX (training/checkbox/export_onnx.py: opset 17, simplified, fixed 640 x 640 input)
   to models/checkbox/model.onnx and checks it with the function's own loader;
5. writes models/checkbox/training_metrics.json and MODEL_CARD.md, then the parity reference
   (training/checkbox/parity_reference.py: fixtures/checkbox/parity/, sample_form.jpg).

Nothing is downloaded: YOLO_OFFLINE, no auto-install, no plots (which would fetch a font), no
AMP check (which would fetch weights); ultralytics' settings and runs stay under the scratch
folder. Needs the training environment (requirements/train-checkbox.txt, .venv-train):
torch and ultralytics (AGPL-3.0), never part of the function.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from stacks.common.paths import REPO_ROOT

MODEL_DIR = REPO_ROOT / "models" / "checkbox"
MAX_MODEL_BYTES = 15 * 1024 * 1024

# The run that produced the committed model (models/checkbox/MODEL_CARD.md): sized for a 2-core
# CPU, about 55 minutes in all. YOLOv8n costs ~0.42 s per 640 x 640 image per training pass there:
# one epoch of 288 pages 2-3.5 min with validation, 18 epochs took 48.7 min; writing the pages
# ~3 min; test, export and parity ~3 min. From random weights it needs those epochs: a
# 10-epoch schedule was at mAP50 0.13 after its third epoch (the first two go to warm-up and
# finding the tiny objects at all).
DEFAULTS = {
    "seed": 1000,  # page seeds: train 1000.., then val, then test, consecutively
    "train_pages": 288,
    "val_pages": 32,
    "test_pages": 48,
    "epochs": 18,
    "batch": 8,
    "imgsz": 640,
}
TRAIN_ARGS = {
    "device": "cpu",
    "workers": 0,  # what ultralytics uses on a CPU anyway: the model, not loading, is the bottleneck
    "deterministic": True,
    "pretrained": False,
    "amp": False,
    "plots": False,
    "optimizer": "AdamW",
    "lr0": 0.002,
    "warmup_epochs": 1.0,
    "close_mosaic": 3,  # mosaic for all but the last three epochs: those see whole pages, as served
    # Zoom 0.75-1.25 (ultralytics' default is 0.5-1.5): the function always fits the whole page
    # into 640 px, so a checkbox's size at the input depends only on its size on paper; at
    # half scale the smallest boxes would be 2 px, training time spent on what is never served.
    "scale": 0.25,
    "patience": 100,
    "val": True,
    "verbose": True,
}


def _offline_ultralytics(scratch: Path) -> None:
    """ultralytics' environment switches, set before it is first imported."""
    os.environ["YOLO_OFFLINE"] = "1"  # no online checks
    os.environ["YOLO_AUTOINSTALL"] = "false"  # never pip-install a missing requirement
    os.environ["YOLO_CONFIG_DIR"] = str(scratch / "ultralytics-config")  # settings.json not under $HOME
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def machine() -> dict:
    import torch

    return {
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def per_class(metrics, names: dict[int, str]) -> dict[str, dict[str, float]]:
    """ultralytics' DetMetrics -> {class name: precision, recall, mAP50, mAP50-95}."""
    box = metrics.box
    table = {}
    for i, class_index in enumerate(box.ap_class_index):
        p, r, ap50, ap = box.class_result(i)
        table[names[int(class_index)]] = {
            "precision": float(p),
            "recall": float(r),
            "mAP50": float(ap50),
            "mAP50-95": float(ap),
        }
    table["all"] = {
        "precision": float(box.mp),
        "recall": float(box.mr),
        "mAP50": float(box.map50),
        "mAP50-95": float(box.map),
    }
    return table


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}\n{'class':<10} {'precision':>9} {'recall':>7} {'mAP50':>7} {'mAP50-95':>9}")
    for name, row in table.items():
        print(f"{name:<10} {row['precision']:>9.4f} {row['recall']:>7.4f} {row['mAP50']:>7.4f} {row['mAP50-95']:>9.4f}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scratch", type=Path, default=REPO_ROOT / "build" / "checkbox-training")
    parser.add_argument("--output", type=Path, default=MODEL_DIR)
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value)
    parser.add_argument("--reuse-data", action="store_true", help="keep a dataset already written with these settings")
    parser.add_argument("--skip-parity", action="store_true", help="do not rewrite fixtures/checkbox/parity/")
    args = parser.parse_args(argv)
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    _offline_ultralytics(scratch)

    from training.checkbox.synthetic_forms import CLASS_NAMES, write_yolo_dataset

    # 1. data
    dataset = scratch / "dataset"
    recipe = {k: getattr(args, k) for k in ("seed", "train_pages", "val_pages", "test_pages", "imgsz")}
    recipe_file = dataset / "recipe.json"
    started = time.monotonic()
    if args.reuse_data and recipe_file.exists() and json.loads(recipe_file.read_text()) == recipe:
        data_yaml = dataset / "data.yaml"
        print(f"reusing {dataset}", flush=True)
    else:
        shutil.rmtree(dataset, ignore_errors=True)
        print(f"writing {args.train_pages}+{args.val_pages}+{args.test_pages} synthetic pages to {dataset}", flush=True)
        data_yaml = write_yolo_dataset(
            dataset,
            train=args.train_pages,
            val=args.val_pages,
            test=args.test_pages,
            seed=args.seed,
            train_max_side=args.imgsz,
        )
        recipe_file.write_text(json.dumps(recipe))
    data_seconds = time.monotonic() - started
    print(f"dataset ready in {data_seconds:.0f} s", flush=True)

    # 2. train
    import torch
    from ultralytics import YOLO
    from ultralytics import __version__ as ultralytics_version
    from ultralytics.utils import SETTINGS

    SETTINGS.update({"sync": False, "runs_dir": str(scratch / "runs"), "datasets_dir": str(scratch)})
    torch.set_num_threads(os.cpu_count() or 1)
    runs = scratch / "runs"
    shutil.rmtree(runs / "train", ignore_errors=True)
    model = YOLO("yolov8n.yaml")  # the architecture only: random initial weights
    started = time.monotonic()
    model.train(
        data=str(data_yaml),
        epochs=args.epochs,
        imgsz=args.imgsz,
        batch=args.batch,
        nbs=args.batch,
        seed=args.seed,
        project=str(runs),
        name="train",
        exist_ok=True,
        **TRAIN_ARGS,
    )
    train_seconds = time.monotonic() - started
    best = runs / "train" / "weights" / "best.pt"
    print(f"\ntrained in {train_seconds / 60:.1f} min: {best}", flush=True)

    # 3. held-out test pages (full size; ultralytics letterboxes them to imgsz)
    names = dict(enumerate(CLASS_NAMES))
    val_args = {
        "data": str(data_yaml),
        "split": "test",
        "imgsz": args.imgsz,
        "batch": 4,
        "device": "cpu",
        "plots": False,
        "project": str(runs),
        "exist_ok": True,
        "verbose": False,
    }
    test_metrics = per_class(YOLO(str(best)).val(name="test-pt", **val_args), names)
    print_table("held-out test pages, best.pt (PyTorch)", test_metrics)

    # 4. export + the function's check
    from training.checkbox.export_onnx import OPSET, check, export

    args.output.mkdir(parents=True, exist_ok=True)
    onnx_path = export(best, imgsz=args.imgsz, output=args.output / "model.onnx")
    size = onnx_path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise SystemExit(f"{onnx_path} is {size / 1e6:.1f} MB, over the {MAX_MODEL_BYTES / 1e6:.1f} MB limit")
    identity = check(onnx_path)
    print(json.dumps(identity, indent=2), flush=True)
    onnx_metrics = per_class(YOLO(str(onnx_path), task="detect").val(name="test-onnx", **val_args), names)
    print_table("held-out test pages, model.onnx (onnxruntime through ultralytics)", onnx_metrics)

    # 5. record
    results_csv = runs / "train" / "results.csv"
    epochs_log = _results_rows(results_csv)
    record = {
        "model": "models/checkbox/model.onnx",
        "sha256": sha256(onnx_path),
        "bytes": size,
        "architecture": "yolov8n.yaml (ultralytics), trained from random initialisation",
        "classes": list(CLASS_NAMES),
        "ultralytics": ultralytics_version,
        "torch": torch.__version__,
        "data": {
            "generator": "training/checkbox/synthetic_forms.py",
            **recipe,
            "train_seeds": [args.seed, args.seed + args.train_pages - 1],
            "val_seeds": [args.seed + args.train_pages, args.seed + args.train_pages + args.val_pages - 1],
            "test_seeds": [
                args.seed + args.train_pages + args.val_pages,
                args.seed + args.train_pages + args.val_pages + args.test_pages - 1,
            ],
        },
        "train_args": {
            "epochs": args.epochs,
            "imgsz": args.imgsz,
            "batch": args.batch,
            "nbs": args.batch,
            "seed": args.seed,
            **TRAIN_ARGS,
        },
        "export": {"format": "onnx", "opset": OPSET, "simplify": True, "dynamic": False, "imgsz": args.imgsz},
        "test_metrics_pt": test_metrics,
        "test_metrics_onnx": onnx_metrics,
        "epochs": epochs_log,
        "dataset_seconds": round(data_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "function_check": identity,
    }
    (args.output / "training_metrics.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.output / "MODEL_CARD.md").write_text(model_card(record))
    print(f"wrote {args.output / 'training_metrics.json'} and MODEL_CARD.md", flush=True)

    # 6. the parity reference for the function's tests
    if not args.skip_parity:
        from training.checkbox import parity_reference

        parity_reference.main(["--model", str(onnx_path)])
    return 0


def _results_rows(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    lines = path.read_text().strip().splitlines()
    header = [h.strip() for h in lines[0].split(",")]
    keep = (
        "epoch",
        "time",
        "train/box_loss",
        "train/cls_loss",
        "metrics/precision(B)",
        "metrics/recall(B)",
        "metrics/mAP50(B)",
        "metrics/mAP50-95(B)",
    )
    rows = []
    for line in lines[1:]:
        values = dict(zip(header, (v.strip() for v in line.split(",")), strict=False))
        rows.append({k: float(values[k]) for k in keep if k in values})
    return rows


def model_card(r: dict) -> str:
    def table(metrics: dict) -> str:
        lines = ["| class | precision | recall | mAP50 | mAP50-95 |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['mAP50']:.3f} | {m['mAP50-95']:.3f} |"
            for name, m in metrics.items()
        ]
        return "\n".join(lines)

    d, t, m = r["data"], r["train_args"], r["machine"]
    epochs = "\n".join(
        f"| {int(e.get('epoch', 0))} | {e.get('time', 0):.0f} | {e.get('train/box_loss', 0):.3f} | {e.get('train/cls_loss', 0):.3f}"
        f" | {e.get('metrics/mAP50(B)', 0):.3f} | {e.get('metrics/mAP50-95(B)', 0):.3f} |"
        for e in r["epochs"]
    )
    return f"""# Checkbox detector: `models/checkbox/model.onnx`

Written by `make train-checkbox` (training/checkbox/train.py) on {r["date"]}; figures from that run
(also in `training_metrics.json`). Rerunning the command retrains and rewrites this folder.

| | |
|---|---|
| file | `model.onnx`, {r["bytes"] / 1e6:.1f} MB, sha256 `{r["sha256"]}` |
| architecture | YOLOv8n (`yolov8n.yaml`), trained from random initialisation: no pretrained weights |
| input / output | `images` float32 [1, 3, {t["imgsz"]}, {t["imgsz"]}] (RGB, 0-1, letterboxed page) -> `output0` [1, 6, 8400] (cx, cy, w, h, 2 class scores; no NMS in the graph) |
| classes | 0 `checked`, 1 `unchecked` (in the ONNX metadata `names`) |
| export | ultralytics {r["ultralytics"]}, ONNX opset {r["export"]["opset"]}, onnxslim-simplified, fixed input size |
| trained with | torch {r["torch"]} on the CPU |

## Data

Synthetic only: scanned A4 forms drawn by `training/checkbox/synthetic_forms.py` (numpy + Pillow,
seeded, deterministic). Each page has 10-60 checkboxes, 24-70 px a side at 300 dpi (12-35 px at
150 dpi) with 1-5 px outlines, checked (X, tick, fill, scribble) or unchecked, among text
(Pillow's built-in font), ruled tables, fill-in lines, and unlabelled look-alikes: radio circles
(empty and filled), typed "[ ]" and "( )", bullets, small squares inside text lines, large
rectangles. The scan: tinted or grey paper, uneven light, rotation within +-1.5 degrees, slight
shear, occasional blur, gaussian noise and speckle, JPEG (quality 55-95) or PNG, 150 and 300 dpi.

| split | pages | seeds | stored as |
|---|---:|---|---|
| train | {d["train_pages"]} | {d["train_seeds"][0]}-{d["train_seeds"][1]} | downscaled to {d["imgsz"]} px longest side (PNG of the decoded scan) |
| val | {d["val_pages"]} | {d["val_seeds"][0]}-{d["val_seeds"][1]} | as train |
| test (held out) | {d["test_pages"]} | {d["test_seeds"][0]}-{d["test_seeds"][1]} | full size, as encoded |

The parity pages (`fixtures/checkbox/parity/`) and `fixtures/checkbox/sample_form.jpg` come from
seeds outside all three ranges (training/checkbox/parity_reference.py).

## Training

`YOLO("yolov8n.yaml").train(...)` with epochs={t["epochs"]}, imgsz={t["imgsz"]}, batch={t["batch"]} (nbs={t["nbs"]}:
one optimizer step per batch), optimizer={t["optimizer"]}, lr0={t["lr0"]}, warmup_epochs={t["warmup_epochs"]},
mosaic except the last {t["close_mosaic"]} epochs (close_mosaic), ultralytics' default augmentation otherwise,
seed={t["seed"]}, deterministic=True, pretrained=False, amp=False, plots=False, device=cpu, workers={t["workers"]}.

Time: {r["train_seconds"] / 60:.1f} min of training (+ {r["dataset_seconds"]:.0f} s writing the pages) on
{m["cpu"]}, {m["cpu_count"]} cores, no GPU (torch threads: {m["torch_threads"]}), Python {m["python"]}.

| epoch | time (s, cumulative) | box loss | cls loss | val mAP50 | val mAP50-95 |
|---:|---:|---:|---:|---:|---:|
{epochs}

## Metrics: held-out test pages ({d["test_pages"]} full-size pages, letterboxed to {t["imgsz"]})

The exported `model.onnx` through ultralytics' validator (onnxruntime, CPU):

{table(r["test_metrics_onnx"])}

The PyTorch weights it was exported from (`best.pt`), same pages:

{table(r["test_metrics_pt"])}

## Limits

- Trained on synthetic pages only. Real scans bring what the generator does not draw: handwriting
  around the boxes, coloured form backgrounds, stamps, folds and shadows, fax-grade bilevel
  images, phone photos with perspective, pages rotated more than 1.5 degrees or by 90 degrees.
  Measure on your own labelled pages before relying on it.
- Two classes only, `checked` and `unchecked`: no "crossed out", "partially filled" or
  "illegible". A box with a faint or tiny mark may be called unchecked.
- Sizes: boxes 24-70 px at 300 dpi (2-6 mm). The whole page is shrunk to {t["imgsz"]} px, so a 2 mm box
  is about 4-5 px at the model's input: the smallest and thinnest boxes are the most likely to be
  missed, and anything smaller than that was never seen. Much larger boxes (over about 8 mm),
  round checkboxes and boxes drawn with dotted lines are outside the training data.
- Look-alikes were in the data as negatives (radio circles, "[ ]", bullets, small squares in text),
  but a square glyph of checkbox size in running text, a character comb box of a date field or a
  small empty table cell can still be reported as `unchecked`.

## Licence note

The weights were produced with ultralytics {r["ultralytics"]}, which is licensed AGPL-3.0 (training
code and the YOLOv8 architecture definition). The training data are generated by this
repository. ultralytics runs only in the offline training environment (requirements/train-checkbox.txt);
the function serves the ONNX file with onnxruntime, numpy, Pillow and OpenCV and contains no ultralytics code.
Whether and how AGPL-3.0 obligations attach to weights produced by that tooling is a question for
your own legal review.
"""


if __name__ == "__main__":
    raise SystemExit(main())

"""The parity reference: what ultralytics itself detects with the committed model on a fixed set
of held-out pages, for tests that compare the function's own pre- and post-processing with it.

    python -m training.checkbox.parity_reference [--model models/checkbox/model.onnx]

Writes (the training environment: ultralytics, onnxruntime):

- fixtures/checkbox/parity/page_<format>_<dpi>dpi_<n>.{jpg,png}: 8 full-size synthetic pages
  (training/checkbox/synthetic_forms.py) from seeds no training run uses (PARITY_SEEDS):
  JPEG and PNG x 150 and 300 dpi x 2 each. PNG pages are drawn without scanner grain
  (noise=0: grain does not compress losslessly), JPEG pages with half the usual grain;
- fixtures/checkbox/parity/expected.json: per page, ultralytics' detections
  (`YOLO(model, task="detect").predict(page, **PREDICT_ARGS)`: class, confidence, x1 y1 x2 y2 in
  the page's pixels), the drawn boxes (ground truth), plus the ultralytics version, the model's
  sha256 and the predict arguments;
- fixtures/checkbox/sample_form.jpg: one more held-out 150 dpi page, JPEG, for `make serve`'s demo.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from stacks.common.paths import REPO_ROOT

PARITY_DIR = REPO_ROOT / "fixtures" / "checkbox" / "parity"
SAMPLE_FORM = REPO_ROOT / "fixtures" / "checkbox" / "sample_form.jpg"
DEFAULT_MODEL = REPO_ROOT / "models" / "checkbox" / "model.onnx"
# Far from the training seeds (train.py: 1000 + a few thousand at most).
PARITY_SEEDS = range(900_000, 900_008)
SAMPLE_SEED = 900_100
JPEG_QUALITY = 85
PREDICT_ARGS = {"imgsz": 640, "conf": 0.25, "iou": 0.45, "max_det": 300, "device": "cpu"}


def parity_pages() -> list[tuple[str, int, int]]:
    """(file name, seed, dpi) of each parity page, in a fixed order."""
    pages = []
    seeds = iter(PARITY_SEEDS)
    for image_format in ("JPEG", "PNG"):
        for dpi in (150, 300):
            for n in (1, 2):
                suffix = "jpg" if image_format == "JPEG" else "png"
                pages.append((f"page_{image_format.lower()}_{dpi}dpi_{n}.{suffix}", next(seeds), dpi))
    return pages


def write_pages(directory: Path = PARITY_DIR, sample: Path = SAMPLE_FORM) -> dict[str, dict]:
    """The page files and their ground truth (numpy + Pillow only)."""
    from training.checkbox.synthetic_forms import CLASS_NAMES, encode_page, generate_page

    directory.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, seed, dpi in parity_pages():
        jpeg = name.endswith(".jpg")
        page = generate_page(seed, dpi=dpi, noise=0.5 if jpeg else 0.0)
        (directory / name).write_bytes(encode_page(page, "JPEG" if jpeg else "PNG", quality=JPEG_QUALITY))
        truth[name] = {
            "seed": seed,
            "dpi": dpi,
            "width": page.image.width,
            "height": page.image.height,
            "drawn_boxes": [
                {
                    "class_id": b.class_id,
                    "class_name": CLASS_NAMES[b.class_id],
                    "x1": b.x1,
                    "y1": b.y1,
                    "x2": b.x2,
                    "y2": b.y2,
                }
                for b in page.boxes
            ],
        }
    page = generate_page(SAMPLE_SEED, dpi=150, noise=0.5)
    sample.write_bytes(encode_page(page, "JPEG", quality=JPEG_QUALITY))
    return truth


def predict(model_path: Path, files: list[Path]) -> tuple[str, dict[str, list[dict]]]:
    """ultralytics' own detections for each file: (ultralytics version, {file name: detections})."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO_ROOT / "build" / "checkbox-training" / "ultralytics-config"))
    from ultralytics import YOLO, __version__

    model = YOLO(str(model_path), task="detect")
    found = {}
    for path in files:
        (result,) = model.predict(str(path), verbose=False, **PREDICT_ARGS)
        names = result.names
        boxes = result.boxes
        detections = []
        for (x1, y1, x2, y2), confidence, class_id in zip(
            boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), strict=True
        ):
            detections.append(
                {
                    "class_id": int(class_id),
                    "class_name": names[int(class_id)],
                    "confidence": float(confidence),
                    "x1": float(x1),
                    "y1": float(y1),
                    "x2": float(x2),
                    "y2": float(y2),
                }
            )
        found[path.name] = detections
    return __version__, found


def _iou(a: dict, b: dict) -> float:
    w = min(a["x2"], b["x2"]) - max(a["x1"], b["x1"])
    h = min(a["y2"], b["y2"]) - max(a["y1"], b["y1"])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a["x2"] - a["x1"]) * (a["y2"] - a["y1"]) + (b["x2"] - b["x1"]) * (b["y2"] - b["y1"]) - inter)


SIZE_BUCKETS = ((0, 36, "24-35 px"), (36, 50, "36-49 px"), (50, 10_000, "50-70 px"))  # side at 300 dpi


def summarise(pages: dict[str, dict], *, min_iou: float = 0.5) -> dict:
    """Greedy matching of detections to drawn boxes (same class, IoU >= min_iou, highest
    confidence first): found / missed / wrong class / false alarms, and recall by box size."""
    total = {"drawn": 0, "found": 0, "wrong_class": 0, "false_alarms": 0}
    by_size = {label: {"drawn": 0, "found": 0} for _, _, label in SIZE_BUCKETS}
    for page in pages.values():
        scale = 300 / page["dpi"]
        truth = page["drawn_boxes"]
        taken: set[int] = set()
        matched_any: set[int] = set()
        for detection in sorted(page["detections"], key=lambda d: -d["confidence"]):
            best, best_iou = None, min_iou
            for i, box in enumerate(truth):
                overlap = _iou(detection, box)
                if overlap >= best_iou and i not in taken:
                    best, best_iou = i, overlap
            if best is None:
                total["false_alarms"] += 1
            elif truth[best]["class_id"] == detection["class_id"]:
                taken.add(best)
            else:
                matched_any.add(best)
        for i, box in enumerate(truth):
            side = min(box["x2"] - box["x1"], box["y2"] - box["y1"]) * scale
            label = next(label for low, high, label in SIZE_BUCKETS if low <= side < high)
            by_size[label]["drawn"] += 1
            by_size[label]["found"] += i in taken
            total["drawn"] += 1
            total["found"] += i in taken
            total["wrong_class"] += i in matched_any and i not in taken
    return {**total, "by_size_300dpi": by_size}


def card_section(summary: dict, pages: dict[str, dict]) -> str:
    rows = "\n".join(
        f"| {name} | {page['dpi']} | {len(page['drawn_boxes'])} | {len(page['detections'])} |"
        for name, page in pages.items()
    )
    sizes = "\n".join(
        f"| {label} | {v['drawn']} | {v['found']} | {v['found'] / v['drawn']:.3f} |"
        if v["drawn"]
        else f"| {label} | 0 | 0 | - |"
        for label, v in summary["by_size_300dpi"].items()
    )
    return f"""{CARD_BEGIN}
## Parity pages (fixtures/checkbox/parity/)

8 more held-out full-size pages (seeds {PARITY_SEEDS.start}-{PARITY_SEEDS.stop - 1}), ultralytics' own predict with this
`model.onnx` (imgsz 640, conf 0.25, iou 0.45), matched to the drawn boxes (same class, IoU >= 0.5):
{summary["found"]} of {summary["drawn"]} boxes found with the right class, {summary["wrong_class"]} found with the wrong class,
{summary["false_alarms"]} detections matching no box.

| page | dpi | drawn | detected |
|---|---:|---:|---:|
{rows}

| checkbox side (at 300 dpi) | drawn | found | recall |
|---|---:|---:|---:|
{sizes}
{CARD_END}
"""


CARD_BEGIN, CARD_END = "<!-- parity: written by training/checkbox/parity_reference.py -->", "<!-- /parity -->"


def update_model_card(card: Path, section: str) -> None:
    if not card.exists():
        return
    text = card.read_text()
    if CARD_BEGIN in text and CARD_END in text:
        head, rest = text.split(CARD_BEGIN, 1)
        text = head + section.rstrip("\n") + rest.split(CARD_END, 1)[1]
    else:
        marker = "## Limits"
        text = text.replace(marker, section + "\n" + marker, 1) if marker in text else text + "\n" + section
    card.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--output", type=Path, default=PARITY_DIR)
    args = parser.parse_args(argv)
    truth = write_pages(args.output)
    version, detections = predict(args.model, [args.output / name for name in truth])
    pages = {}
    for name, page in truth.items():
        pages[name] = {**page, "detections": detections[name]}
    expected = {
        "about": "ultralytics' own predictions with the committed model on held-out synthetic pages"
        " (training/checkbox/parity_reference.py); coordinates in each page's pixels",
        "ultralytics": version,
        "model": os.path.relpath(args.model.resolve(), REPO_ROOT),
        "model_sha256": hashlib.sha256(args.model.read_bytes()).hexdigest(),
        "predict_args": PREDICT_ARGS,
        "class_names": ["checked", "unchecked"],
        "pages": pages,
    }
    (args.output / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    summary = summarise(pages)
    print(json.dumps(summary), file=sys.stderr)
    update_model_card(args.model.parent / "MODEL_CARD.md", card_section(summary, pages))
    total = sum(f.stat().st_size for f in args.output.iterdir())
    for name, page in pages.items():
        print(f"{name}: {len(page['drawn_boxes'])} drawn, {len(page['detections'])} detected", file=sys.stderr)
    print(f"wrote {args.output} ({total / 1e6:.1f} MB) and {SAMPLE_FORM}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

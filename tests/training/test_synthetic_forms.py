"""The checkbox training data generator (training/checkbox/synthetic_forms.py): deterministic,
labels inside the page and only on checkboxes, ultralytics' label format."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.checkbox import synthetic_forms
from training.checkbox.synthetic_forms import (
    CLASS_NAMES,
    DrawnBox,
    SyntheticPage,
    encode_page,
    generate_page,
    page_size,
    write_yolo_dataset,
    yolo_label_lines,
)


@pytest.fixture(scope="module")
def page150() -> SyntheticPage:
    return generate_page(11, dpi=150)


def test_class_names_are_the_models() -> None:
    assert CLASS_NAMES == ("checked", "unchecked")


@pytest.mark.parametrize("dpi", [150, 300])
def test_a4_at_each_dpi(dpi: int) -> None:
    page = generate_page(3, dpi=dpi)
    assert page.image.mode == "RGB"
    assert page.image.size == {150: (1240, 1754), 300: (2480, 3508)}[dpi] == page_size(dpi)
    assert page.dpi == dpi and page.seed == 3


def test_unknown_dpi_is_refused() -> None:
    with pytest.raises(ValueError, match="dpi"):
        generate_page(1, dpi=200)


def test_same_seed_same_bytes(page150: SyntheticPage) -> None:
    again = generate_page(11, dpi=150)
    assert again.boxes == page150.boxes
    assert again.image.tobytes() == page150.image.tobytes()
    for image_format in ("JPEG", "PNG"):
        assert encode_page(again, image_format, quality=70) == encode_page(page150, image_format, quality=70)


def test_other_seed_other_page(page150: SyntheticPage) -> None:
    other = generate_page(12, dpi=150)
    assert other.image.tobytes() != page150.image.tobytes()


@pytest.mark.parametrize("seed", range(20, 32))
def test_boxes_inside_the_page_and_counted(seed: int) -> None:
    page = generate_page(seed, dpi=150)
    width, height = page.image.size
    assert 10 <= len(page.boxes) <= 60
    for box in page.boxes:
        assert isinstance(box, DrawnBox)
        assert box.class_id in (0, 1)
        assert 0 <= box.x1 < box.x2 <= width and 0 <= box.y1 < box.y2 <= height
        side = min(box.x2 - box.x1, box.y2 - box.y1)
        assert 0.8 * 12 <= side <= 1.2 * 35 + 4  # 24-70 px at 300 dpi is 12-35 at 150 (+ rotation)


def test_both_classes_over_a_few_pages() -> None:
    classes = [box.class_id for seed in range(5) for box in generate_page(seed, dpi=150).boxes]
    assert set(classes) == {0, 1}
    assert 0.25 < classes.count(0) / len(classes) < 0.75


def test_boxes_do_not_overlap(page150: SyntheticPage) -> None:
    boxes = page150.boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap_w = min(a.x2, b.x2) - max(a.x1, b.x1)
            overlap_h = min(a.y2, b.y2) - max(a.y1, b.y1)
            assert overlap_w <= 0 or overlap_h <= 0, (a, b)


def test_a_label_frames_a_drawn_box(page150: SyntheticPage) -> None:
    """Each label sits on ink (the box outline) and the page is mostly paper."""
    grey = np.asarray(page150.image.convert("L"), dtype=np.float32)
    paper = float(np.median(grey))
    for box in page150.boxes:
        x1, y1, x2, y2 = (int(round(v)) for v in (box.x1, box.y1, box.x2, box.y2))
        border = np.concatenate([grey[y1:y2, x1 : x1 + 3].ravel(), grey[y1 : y1 + 3, x1:x2].ravel()])
        assert border.min() < paper - 60, box


def test_distractors_are_not_labelled() -> None:
    """Pages without any checkbox drawing call: radio circles, bullets, "[ ]" and small squares
    in text, tables, fields: ink on the page, no labels."""
    rng = np.random.default_rng(5)
    canvas = synthetic_forms._Canvas(1240, 1754, 0.5, rng)
    top = 100
    top = synthetic_forms._radio_row(canvas, 100, 1140, top) + 20
    top = synthetic_forms._bullets(canvas, 100, 1140, top) + 20
    top = synthetic_forms._fields(canvas, 100, 1140, top) + 20
    top = synthetic_forms._big_box(canvas, 100, 1140, top, 1600) + 20
    top = synthetic_forms._table(canvas, 100, 1140, top, 1600, target=0) + 20
    for _ in range(10):
        canvas.text(100, top, 20, extras=True)
        top += 30
    assert canvas.boxes == []
    ink = np.asarray(canvas.print_layer) < 128
    assert ink.mean() > 0.005  # something was drawn


def test_checked_share_follows_marks() -> None:
    rng = np.random.default_rng(0)
    canvas = synthetic_forms._Canvas(1240, 1754, 0.5, rng)
    canvas.checkbox(100, 100, checked=True)
    canvas.checkbox(300, 100, checked=False)
    assert [b[0] for b in canvas.boxes] == [0, 1]
    pen = np.asarray(canvas.pen_layer) < 128
    ink = np.asarray(canvas.print_layer) < 128
    inside = lambda layer, x: layer[104:110, x + 4 : x + 10].any() or layer[100:120, x : x + 20].sum() > 60  # noqa: E731
    assert inside(pen, 100) or inside(ink, 100)
    assert not pen[100:130, 300:330].any()


def test_encode_page_formats(page150: SyntheticPage) -> None:
    jpeg = encode_page(page150, "JPEG", quality=60)
    png = encode_page(page150, "PNG")
    assert jpeg[:3] == b"\xff\xd8\xff" and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(encode_page(page150, "JPEG", quality=30)) < len(encode_page(page150, "JPEG", quality=95))
    decoded = Image.open(io.BytesIO(png))
    assert decoded.size == page150.image.size
    assert np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(page150.image))  # lossless
    assert Image.open(io.BytesIO(jpeg)).info["dpi"][0] == pytest.approx(150)
    with pytest.raises(ValueError):
        encode_page(page150, "GIF")


def test_noise_zero_compresses_better() -> None:
    noisy = encode_page(generate_page(8, dpi=150), "PNG")
    clean = encode_page(generate_page(8, dpi=150, noise=0.0), "PNG")
    assert len(clean) < len(noisy)


def test_yolo_label_lines() -> None:
    lines = yolo_label_lines([DrawnBox(1, 100.0, 200.0, 140.0, 260.0)], 1000, 2000)
    assert lines == ["1 0.120000 0.115000 0.040000 0.030000"]


def test_write_yolo_dataset(tmp_path: Path) -> None:
    data_yaml = write_yolo_dataset(tmp_path / "ds", train=3, val=1, test=2, seed=40, train_max_side=320, processes=1)
    root = tmp_path / "ds"
    assert data_yaml == root / "data.yaml"
    text = data_yaml.read_text()
    for line in ("train: images/train", "val: images/val", "test: images/test", "  0: checked", "  1: unchecked"):
        assert line in text
    assert f"path: {root.resolve()}" in text
    counts = {}
    for split in ("train", "val", "test"):
        images = sorted((root / "images" / split).iterdir())
        labels = sorted((root / "labels" / split).iterdir())
        counts[split] = len(images)
        assert [p.stem for p in images] == [p.stem for p in labels]
        for image_path, label_path in zip(images, labels, strict=True):
            with Image.open(image_path) as image:
                if split == "test":  # full size, as a scanner stored it
                    assert image.size in ((1240, 1754), (2480, 3508))
                    assert image.format in ("JPEG", "PNG")
                else:
                    assert max(image.size) == 320
            rows = [line.split() for line in label_path.read_text().splitlines()]
            assert 10 <= len(rows) <= 60
            for row in rows:
                assert len(row) == 5 and row[0] in ("0", "1")
                cx, cy, w, h = (float(v) for v in row[1:])
                assert 0 < w < 0.1 and 0 < h < 0.1
                assert 0 <= cx - w / 2 and cx + w / 2 <= 1 and 0 <= cy - h / 2 and cy + h / 2 <= 1
    assert counts == {"train": 3, "val": 1, "test": 2}
    # the seeds are consecutive: train 40-42, val 43, test 44-45; labels are the generator's
    test_labels = sorted((root / "labels" / "test").iterdir())
    assert "_s44_" in test_labels[0].name
    dpi = int(test_labels[0].stem.rsplit("_", 1)[1].removesuffix("dpi"))
    page = generate_page(44, dpi=dpi)
    assert test_labels[0].read_text().splitlines() == yolo_label_lines(page.boxes, *page.image.size)


def test_dataset_does_not_depend_on_processes(tmp_path: Path) -> None:
    one = write_yolo_dataset(tmp_path / "a", train=2, val=0, test=0, seed=60, train_max_side=256, processes=1).parent
    two = write_yolo_dataset(tmp_path / "b", train=2, val=0, test=0, seed=60, train_max_side=256, processes=2).parent
    for path in sorted((one / "images" / "train").iterdir()):
        assert path.read_bytes() == (two / "images" / "train" / path.name).read_bytes()

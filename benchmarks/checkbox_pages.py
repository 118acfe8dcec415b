"""Held-out pages for the checkbox benchmark: synthetic scanned forms with the boxes drawn on them.

    pages = write_pages(directory, pages_per_cell=10)   # -> Manifest (also written as pages.json)

Cells: {JPEG, PNG} x {150, 300 dpi}. Page i of every cell is drawn from the same seed
(HELD_OUT_SEED + i), so the cells differ only in encoding and resolution. The seeds are far
from the training generator's (training uses small seeds): no page here was trained on.

Pages come from `training.checkbox.synthetic_forms` (the generator the model was trained on:
`generate_page(seed, dpi=...)`, `encode_page(page, "JPEG" | "PNG", quality=90)`). Until that
module exists, `benchmarks.checkbox_form.synthetic_form` stands in (same layout idea, boxes
classed checked = 0 / unchecked = 1) and the manifest's `generator` says so: figures made with
the stand-in are for developing the benchmark only.
"""

from __future__ import annotations

import io
import json
import multiprocessing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HELD_OUT_SEED = 900_000
FORMATS = {"JPEG": ("page.jpg", "image/jpeg"), "PNG": ("page.png", "image/png")}
DPIS = (150, 300)
CELLS = tuple((image_format, dpi) for image_format in FORMATS for dpi in DPIS)
JPEG_QUALITY = 90


def cell_name(image_format: str, dpi: int) -> str:
    return f"{image_format} {dpi} dpi"


@dataclass(frozen=True)
class PageFile:
    id: str  # e.g. "JPEG 300 dpi #3"
    cell: str
    image_format: str
    dpi: int
    seed: int
    path: str
    content_type: str
    bytes: int
    width: int
    height: int
    boxes: list[list[float]]  # [class_id, x1, y1, x2, y2] in page pixels, as drawn


@dataclass(frozen=True)
class Manifest:
    generator: str
    class_names: list[str]
    pages: list[PageFile]

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "class_names": self.class_names, "pages": [asdict(p) for p in self.pages]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(data["generator"], data["class_names"], [PageFile(**page) for page in data["pages"]])

    def cell(self, name: str) -> list[PageFile]:
        return [page for page in self.pages if page.cell == name]


def write_pages(directory: Path, *, pages_per_cell: int, processes: int = 2) -> Manifest:
    """Draws and encodes the pages (`processes` at a time; the result does not depend on it)."""
    directory.mkdir(parents=True, exist_ok=True)
    _, generator, class_names = _generator()
    jobs = [(directory, index, dpi) for index in range(pages_per_cell) for dpi in DPIS]
    if processes > 1:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            made = pool.map(_make, jobs, chunksize=1)
    else:
        made = [_make(job) for job in jobs]
    pages = [page for group in made for page in group]
    pages.sort(key=lambda page: (CELLS.index((page.image_format, page.dpi)), page.seed))
    manifest = Manifest(generator=generator, class_names=list(class_names), pages=pages)
    (directory / "pages.json").write_text(json.dumps(manifest.to_json()))
    return manifest


def _make(job: tuple[Path, int, int]) -> list[PageFile]:
    directory, index, dpi = job
    generate, _, _ = _generator()
    seed = HELD_OUT_SEED + index
    drawn = generate(seed, dpi)
    pages = []
    for image_format, (filename, content_type) in FORMATS.items():
        data = drawn.encode(image_format)
        name = cell_name(image_format, dpi)
        path = directory / f"{seed}-{dpi}dpi-{filename}"
        path.write_bytes(data)
        pages.append(
            PageFile(
                id=f"{name} #{index}",
                cell=name,
                image_format=image_format,
                dpi=dpi,
                seed=seed,
                path=str(path),
                content_type=content_type,
                bytes=len(data),
                width=drawn.width,
                height=drawn.height,
                boxes=drawn.boxes,
            )
        )
    return pages


@dataclass(frozen=True)
class _Drawn:
    width: int
    height: int
    boxes: list[list[float]]
    encode_with: Any

    def encode(self, image_format: str) -> bytes:
        return self.encode_with(image_format)


def _generator() -> tuple[Any, str, tuple[str, ...]]:
    try:
        from training.checkbox import synthetic_forms
    except ImportError:
        return (
            _stand_in,
            "benchmarks.checkbox_form.synthetic_form (STAND-IN: training.checkbox.synthetic_forms not found)",
            (
                "checked",
                "unchecked",
            ),
        )

    def generate(seed: int, dpi: int) -> _Drawn:
        page = synthetic_forms.generate_page(seed, dpi=dpi)
        width, height = page.image.size
        boxes = [[int(box.class_id), float(box.x1), float(box.y1), float(box.x2), float(box.y2)] for box in page.boxes]
        return _Drawn(
            width,
            height,
            boxes,
            lambda image_format: synthetic_forms.encode_page(page, image_format, quality=JPEG_QUALITY),
        )

    return generate, "training.checkbox.synthetic_forms", tuple(synthetic_forms.CLASS_NAMES)


def _stand_in(seed: int, dpi: int) -> _Drawn:
    from benchmarks.checkbox_form import A4_300DPI, synthetic_form

    size = (round(A4_300DPI[0] * dpi / 300), round(A4_300DPI[1] * dpi / 300))
    image, checkboxes = synthetic_form(size=size, seed=seed)
    boxes = [
        [0 if box.checked else 1, float(box.x1), float(box.y1), float(box.x2), float(box.y2)] for box in checkboxes
    ]

    def encode(image_format: str) -> bytes:
        buffer = io.BytesIO()
        options = {"quality": JPEG_QUALITY} if image_format == "JPEG" else {}
        image.save(buffer, image_format, dpi=(dpi, dpi), **options)
        return buffer.getvalue()

    return _Drawn(image.size[0], image.size[1], boxes, encode)

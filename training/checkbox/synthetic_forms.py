"""Synthetic scanned forms with labelled checkboxes: the checkbox detector's training data.

    page = generate_page(1234, dpi=300)       # PIL "RGB" A4 page + the checkboxes drawn on it
    data = encode_page(page, "JPEG", quality=80)
    write_yolo_dataset(Path("build/ds"), train=400, val=60, test=40, seed=0)   # -> data.yaml

Deterministic: a page is a function of (seed, dpi, noise) only (numpy's seeded generator, Pillow
drawing, Pillow's built-in font); the same arguments give the same pixels and, with the same
Pillow build, the same encoded bytes. numpy and Pillow only (no torch, no cv2): the development
environment imports it for its tests.

What a page holds (A4: 1240 x 1754 at 150 dpi, 2480 x 3508 at 300 dpi):

- printed content: a title, paragraphs of text (Pillow's built-in font,
  `ImageFont.load_default(size=...)`: nothing downloaded), fill-in lines, ruled tables;
- 10-60 checkboxes, square, 24-70 px a side at 300 dpi (half that at 150 dpi), strokes of 1-5 px
  (300 dpi), in option rows, vertical lists and table cells; each checked (X, tick, filled, or a
  scribble; pen marks may overshoot the box) or unchecked. Class 0 `checked`, 1 `unchecked`;
- distractors, never labelled: radio circles (empty and filled), "[ ]" and "( )" typed in text,
  bullets (dots and small filled or hollow squares), small hollow squares inside text lines,
  the letter o, underscores, big rectangles (signature and comment fields), table grid cells;
- the scan: paper tint (colour pages) or grey pages, uneven illumination, rotation up to
  +-1.5 degrees and a slight shear, an occasional blur, gaussian noise and speckle (scaled by
  `noise`), and the JPEG artefacts of `encode_page(..., "JPEG", quality=...)`.

A label is the axis-aligned bounds of the checkbox square after rotation and shear, in page
pixels (`DrawnBox`); marks that overshoot the square do not enlarge it.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CLASS_NAMES = ("checked", "unchecked")
CHECKED, UNCHECKED = 0, 1
A4_MM = (210.0, 297.0)
DPIS = (150, 300)
MIN_BOXES, MAX_BOXES = 10, 60
BOX_SIDE_300DPI = (24, 70)  # a checkbox's side in pixels at 300 dpi
STROKE_300DPI = (1, 5)  # its outline's width


@dataclass(frozen=True)
class DrawnBox:
    """A checkbox on the page: class id and bounds in page pixels (after rotation/skew)."""

    class_id: int
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class SyntheticPage:
    image: Image.Image  # mode "RGB"
    boxes: tuple[DrawnBox, ...]
    dpi: int
    seed: int


def page_size(dpi: int) -> tuple[int, int]:
    """A4 in pixels: (1240, 1754) at 150 dpi, (2480, 3508) at 300 dpi."""
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


# --- drawing ---------------------------------------------------------------------------------

_WORDS = (
    "name address date signature applicant employer insurance policy number please tick one "
    "box each question yes no other office use only reason previous medical history do you have "
    "any of the following conditions smoker alcohol allergy diabetes heart surgery married single "
    "contact phone email post code country city street consent agree terms information provided "
    "is correct and complete to the best of my knowledge section part details account payment "
    "monthly annual direct debit cheque cash card renewal new cancellation amount total tax "
    "income benefit dependants children spouse partner employment status full time part retired "
    "student unemployed self employed room floor door window inspection passed failed notes "
    "approved rejected pending review comments optional required mandatory signed"
).split()


class _Fonts:
    """Pillow's built-in scalable font at each size asked for (loaded once per size)."""

    def __init__(self) -> None:
        self._cache: dict[int, ImageFont.ImageFont | ImageFont.FreeTypeFont] = {}

    def __call__(self, size: int):
        size = max(6, int(size))
        if size not in self._cache:
            self._cache[size] = ImageFont.load_default(size=size)
        return self._cache[size]


_FONTS = _Fonts()


class _Canvas:
    """Two ink layers ("L", 255 = no ink): print (the form) and pen (the marks), plus labels."""

    def __init__(self, width: int, height: int, scale: float, rng: np.random.Generator) -> None:
        self.width, self.height, self.scale, self.rng = width, height, scale, rng
        self.print_layer = Image.new("L", (width, height), 255)
        self.pen_layer = Image.new("L", (width, height), 255)
        self.ink = ImageDraw.Draw(self.print_layer)
        self.pen = ImageDraw.Draw(self.pen_layer)
        self.boxes: list[tuple[int, float, float, float, float]] = []
        # Per page: a house style of checkbox (forms are consistent), varied a little per box.
        self.box_side = self._px(float(np.exp(rng.uniform(*np.log(BOX_SIDE_300DPI)))))
        self.box_stroke = max(1, self._px(float(rng.uniform(STROKE_300DPI[0], STROKE_300DPI[1] + 0.99)), floor=True))
        self.font_size = self._px(rng.uniform(30, 48))
        self.print_grey = int(rng.integers(0, 70))
        self.rounded = bool(rng.random() < 0.15)

    def _px(self, value_300dpi: float, *, floor: bool = False) -> int:
        value = value_300dpi * self.scale
        return max(1, int(value) if floor else round(value))

    def px(self, value_300dpi: float) -> int:
        return self._px(value_300dpi)

    # text
    def text(
        self,
        x: int,
        y: int,
        words: int | None = None,
        *,
        size: int | None = None,
        end: int | None = None,
        extras: bool = True,
    ) -> int:
        """A run of words from (x, y) (top-left); returns the x where it ended."""
        rng = self.rng
        font = _FONTS(size or self.font_size)
        end = end if end is not None else self.width - self.px(180)
        count = words if words is not None else int(rng.integers(3, 14))
        space = font.getlength(" ")
        for _ in range(count):
            word = self._word(extras)
            length = font.getlength(word)
            if x + length > end:
                break
            if isinstance(word, str) and word == "\0square":  # a small hollow square glyph, a distractor
                side = max(3, int(font.size * rng.uniform(0.25, 0.35)))  # <= 17 px at 300 dpi
                top = y + int(font.size * 0.5)
                self.ink.rectangle([x, top, x + side, top + side], outline=self.print_grey, width=max(1, side // 7))
                x += side + int(space)
                continue
            self.ink.text((x, y), word, font=font, fill=self.print_grey)
            x += int(length + space)
        return x

    def _word(self, extras: bool) -> str:
        rng = self.rng
        roll = rng.random()
        if extras and roll < 0.03:
            return "\0square"
        if extras and roll < 0.06:
            return str(rng.choice(["[ ]", "( )", "[  ]", "o", "O", "□", "0", "_____", "(o)", "•", "-"]))
        word = str(rng.choice(_WORDS))
        if rng.random() < 0.1:
            word = word.capitalize()
        if rng.random() < 0.05:
            word = str(int(rng.integers(1, 9999)))
        if rng.random() < 0.08:
            word += str(rng.choice([":", ",", ".", "?"]))
        return word

    def text_height(self, size: int | None = None) -> int:
        return int((size or self.font_size) * 1.25)

    # checkboxes
    def checkbox(self, x: int, y: int, *, checked: bool | None = None) -> tuple[int, int]:
        """A checkbox with its top-left at (x, y); returns its (width, height)."""
        rng = self.rng
        side = max(
            self.px(BOX_SIDE_300DPI[0]), min(self.px(BOX_SIDE_300DPI[1]), int(self.box_side * rng.uniform(0.95, 1.05)))
        )
        width = side if rng.random() < 0.85 else int(side * rng.uniform(0.85, 1.15))
        stroke = max(1, min(self.box_stroke, side // 6))
        x2, y2 = x + width - 1, y + side - 1
        if self.rounded:
            self.ink.rounded_rectangle([x, y, x2, y2], radius=max(1, side // 6), outline=self.print_grey, width=stroke)
        else:
            self.ink.rectangle([x, y, x2, y2], outline=self.print_grey, width=stroke)
        if checked is None:
            checked = bool(rng.random() < 0.45)
        if checked:
            self._mark(x, y, x2, y2, stroke)
        self.boxes.append((CHECKED if checked else UNCHECKED, float(x), float(y), float(x2 + 1), float(y2 + 1)))
        return width, side

    def _mark(self, x1: int, y1: int, x2: int, y2: int, stroke: int) -> None:
        rng = self.rng
        w, h = x2 - x1, y2 - y1
        kind = rng.choice(["x", "tick", "fill", "scribble"], p=[0.35, 0.35, 0.15, 0.15])
        pen_width = max(1, int(round(min(w, h) * rng.uniform(0.06, 0.16))))
        pen = int(rng.integers(0, 60))

        def point(fx: float, fy: float, jitter: float = 0.06) -> tuple[float, float]:
            return (x1 + w * (fx + rng.normal(0, jitter)), y1 + h * (fy + rng.normal(0, jitter)))

        if kind == "x":
            inset = rng.uniform(-0.1, 0.25)
            self.pen.line([point(inset, inset), point(1 - inset, 1 - inset)], fill=pen, width=pen_width)
            self.pen.line([point(inset, 1 - inset), point(1 - inset, inset)], fill=pen, width=pen_width)
        elif kind == "tick":
            self.pen.line(
                [point(0.15, 0.5), point(0.4, 0.85), point(rng.uniform(0.8, 1.15), rng.uniform(-0.15, 0.2))],
                fill=pen,
                width=pen_width,
                joint="curve",
            )
        elif kind == "fill":
            inset = max(stroke, int(min(w, h) * rng.uniform(0.0, 0.2)))
            self.ink.rectangle([x1 + inset, y1 + inset, x2 - inset, y2 - inset], fill=self.print_grey)
        else:
            points = [point(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), 0.0) for _ in range(int(rng.integers(5, 14)))]
            self.pen.line(points, fill=pen, width=pen_width, joint="curve")

    # distractors
    def radio(self, x: int, y: int) -> int:
        rng = self.rng
        side = max(self.px(18), int(self.box_side * rng.uniform(0.6, 1.05)))
        stroke = max(1, min(self.box_stroke, side // 6))
        self.ink.ellipse([x, y, x + side, y + side], outline=self.print_grey, width=stroke)
        if rng.random() < 0.4:
            inset = side // 4
            self.pen.ellipse([x + inset, y + inset, x + side - inset, y + side - inset], fill=int(rng.integers(0, 60)))
        return side

    def bullet(self, x: int, y: int) -> int:
        rng = self.rng
        side = max(3, self.px(rng.uniform(8, 16)))  # well under the smallest checkbox
        kind = int(rng.integers(0, 3))
        if kind == 0:
            self.ink.ellipse([x, y, x + side, y + side], fill=self.print_grey)
        elif kind == 1:
            self.ink.rectangle([x, y, x + side, y + side], fill=self.print_grey)
        else:
            self.ink.rectangle([x, y, x + side, y + side], outline=self.print_grey, width=max(1, side // 6))
        return side


# --- layout ----------------------------------------------------------------------------------


def _layout(canvas: _Canvas, target: int) -> None:
    """Blocks top to bottom until the page is full; checkbox blocks until `target` boxes."""
    c, rng = canvas, canvas.rng
    margin = c.px(rng.uniform(150, 260))
    right = c.width - margin
    bottom = c.height - margin
    line = c.text_height()
    y = margin
    # Title (and sometimes a frame around it).
    title_size = int(c.font_size * rng.uniform(1.4, 2.0))
    if rng.random() < 0.5:
        c.ink.rectangle(
            [margin, y, right, y + int(title_size * 2.2)], outline=c.print_grey, width=c.px(rng.uniform(2, 5))
        )
        c.text(margin + c.px(30), y + int(title_size * 0.5), int(rng.integers(2, 6)), size=title_size, extras=False)
        y += int(title_size * 2.8)
    else:
        c.text(margin, y, int(rng.integers(2, 6)), size=title_size, extras=False)
        y += int(title_size * 2.0)

    blocks: list[tuple[str, Callable[[int], int]]] = [
        ("paragraph", lambda top: _paragraph(c, margin, right, top)),
        ("options", lambda top: _option_row(c, margin, right, top, target)),
        ("list", lambda top: _checkbox_list(c, margin, right, top, target)),
        ("table", lambda top: _table(c, margin, right, top, bottom, target)),
        ("radio", lambda top: _radio_row(c, margin, right, top)),
        ("bullets", lambda top: _bullets(c, margin, right, top)),
        ("fields", lambda top: _fields(c, margin, right, top)),
        ("box", lambda top: _big_box(c, margin, right, top, bottom)),
    ]
    while y + 3 * line < bottom:
        need = target - len(c.boxes)
        if need > 0:
            weights = np.array([2.0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.4])
        else:
            weights = np.array([3.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.5, 0.5])
        kind = int(rng.choice(len(blocks), p=weights / weights.sum()))
        y = blocks[kind][1](y) + int(line * rng.uniform(0.4, 1.2))


def _paragraph(c: _Canvas, left: int, right: int, top: int) -> int:
    line = int(c.text_height() * c.rng.uniform(1.0, 1.3))
    for i in range(int(c.rng.integers(1, 5))):
        end = right - (int(c.rng.integers(0, (right - left) // 2)) if i else 0)
        c.text(left, top, 40, end=end)
        top += line
    return top


def _option_row(c: _Canvas, left: int, right: int, top: int, target: int) -> int:
    rng = c.rng
    c.text(left, top, int(rng.integers(3, 10)), end=right)
    top += int(c.text_height() * 1.3)
    options = min(int(rng.integers(2, 7)), max(0, target - len(c.boxes)))
    x = left + c.px(rng.uniform(0, 120))
    box_left = rng.random() < 0.8
    row_height = max(c.box_side, c.text_height())
    gap = c.px(rng.uniform(15, 30))
    for _ in range(options):
        if x + c.box_side * 2 > right:
            break
        if box_left:
            w, h = c.checkbox(x, top + (row_height - c.box_side) // 2)
            x = c.text(
                x + w + gap, top + (row_height - c.font_size) // 2, int(rng.integers(1, 3)), end=right, extras=False
            )
        else:
            x = c.text(
                x,
                top + (row_height - c.font_size) // 2,
                int(rng.integers(1, 3)),
                end=right - c.box_side * 2,
                extras=False,
            )
            w, h = c.checkbox(x + gap, top + (row_height - c.box_side) // 2)
            x += gap + w
        x += c.px(rng.uniform(40, 160))
    return top + row_height


def _checkbox_list(c: _Canvas, left: int, right: int, top: int, target: int) -> int:
    rng = c.rng
    indent = left + c.px(rng.uniform(0, 150))
    row_height = int(max(c.box_side, c.text_height()) * rng.uniform(1.2, 1.6))
    columns = int(rng.integers(1, 3))
    column_width = (right - indent) // columns
    rows = int(rng.integers(2, 6))
    for _row in range(rows):
        for column in range(columns):
            if len(c.boxes) >= target:
                return top + row_height
            x = indent + column * column_width
            w, _ = c.checkbox(x, top + (row_height - c.box_side) // 2)
            c.text(
                x + w + c.px(25),
                top + (row_height - c.font_size) // 2,
                int(rng.integers(1, 6)),
                end=x + column_width - c.px(30),
            )
        top += row_height
    return top


def _table(c: _Canvas, left: int, right: int, top: int, bottom: int, target: int) -> int:
    rng = c.rng
    columns = int(rng.integers(3, 7))
    rows = int(rng.integers(3, 9))
    row_height = int(max(c.box_side * rng.uniform(1.4, 2.2), c.text_height() * 1.3))
    rows = min(rows, max(0, (bottom - top) // row_height - 1))
    if rows < 2:
        return top
    first = int((right - left) * rng.uniform(0.3, 0.45))
    widths = [first] + [(right - left - first) // (columns - 1)] * (columns - 1)
    xs = [left + sum(widths[:i]) for i in range(columns + 1)]
    rule = c.px(rng.uniform(1.5, 4))
    for r in range(rows + 1):
        c.ink.line([left, top + r * row_height, xs[-1], top + r * row_height], fill=c.print_grey, width=rule)
    if rng.random() < 0.3:  # a shaded header row
        c.ink.rectangle([left, top, xs[-1], top + row_height], fill=int(rng.integers(190, 235)))
    for x in xs:
        c.ink.line([x, top, x, top + rows * row_height], fill=c.print_grey, width=rule)
    for col in range(1, columns):  # header
        c.text(
            xs[col] + c.px(15),
            top + (row_height - c.font_size) // 2,
            int(rng.integers(1, 3)),
            end=xs[col + 1] - 5,
            extras=False,
        )
    c.text(left + c.px(15), top + (row_height - c.font_size) // 2, 2, end=xs[1] - 5, extras=False)
    for r in range(1, rows):
        y = top + r * row_height
        c.text(left + c.px(15), y + (row_height - c.font_size) // 2, int(rng.integers(1, 6)), end=xs[1] - 10)
        for col in range(1, columns):
            cell = rng.random()
            if cell < 0.75 and len(c.boxes) < target:
                cx = (xs[col] + xs[col + 1]) // 2 - c.box_side // 2 + int(rng.normal(0, 3))
                c.checkbox(cx, y + (row_height - c.box_side) // 2)
            elif cell < 0.85:
                c.text(xs[col] + c.px(15), y + (row_height - c.font_size) // 2, 1, end=xs[col + 1] - 5)
    return top + rows * row_height


def _radio_row(c: _Canvas, left: int, right: int, top: int) -> int:
    rng = c.rng
    c.text(left, top, int(rng.integers(3, 10)), end=right)
    top += int(c.text_height() * 1.3)
    x = left + c.px(rng.uniform(0, 120))
    row_height = max(c.box_side, c.text_height())
    for _ in range(int(rng.integers(2, 6))):
        if x + c.box_side * 3 > right:
            break
        side = c.radio(x, top + (row_height - c.box_side) // 2)
        x = c.text(
            x + side + c.px(20), top + (row_height - c.font_size) // 2, int(rng.integers(1, 3)), end=right, extras=False
        )
        x += c.px(rng.uniform(40, 160))
    return top + row_height


def _bullets(c: _Canvas, left: int, right: int, top: int) -> int:
    rng = c.rng
    line = int(c.text_height() * 1.3)
    for _ in range(int(rng.integers(2, 6))):
        if rng.random() < 0.3:  # typed brackets, as plain-text forms use
            c.text(left + c.px(40), top, 8, end=right)
        else:
            side = c.bullet(left + c.px(40), top + c.font_size // 2)
            c.text(left + c.px(40) + side + c.px(25), top, int(rng.integers(3, 12)), end=right)
        top += line
    return top


def _fields(c: _Canvas, left: int, right: int, top: int) -> int:
    rng = c.rng
    line = int(c.text_height() * 1.6)
    for _ in range(int(rng.integers(1, 4))):
        x = c.text(left, top, int(rng.integers(1, 3)), extras=False)
        end = right if rng.random() < 0.5 else int(x + (right - x) * rng.uniform(0.3, 0.8))
        c.ink.line([x + c.px(10), top + c.font_size, end, top + c.font_size], fill=c.print_grey, width=c.px(2))
        top += line
    return top


def _big_box(c: _Canvas, left: int, right: int, top: int, bottom: int) -> int:
    rng = c.rng
    height = c.px(rng.uniform(120, 400))
    if top + height > bottom:
        return top
    x2 = int(left + (right - left) * rng.uniform(0.4, 1.0))
    c.ink.rectangle([left, top, x2, top + height], outline=c.print_grey, width=c.px(rng.uniform(2, 5)))
    c.text(left + c.px(15), top + c.px(10), int(rng.integers(1, 4)), end=x2, extras=False)
    return top + height


# --- the scan --------------------------------------------------------------------------------


def _ink_rgb(layer: Image.Image, colour: tuple[int, int, int]) -> np.ndarray:
    """An ink layer as a multiplier in [0, 1] per channel: 1 = paper, `colour`/255 = full ink."""
    coverage = 1.0 - np.asarray(layer, dtype=np.float32) / 255.0
    tint = 1.0 - np.asarray(colour, dtype=np.float32) / 255.0
    return 1.0 - coverage[..., None] * tint


def _scan(canvas: _Canvas, *, noise: float) -> tuple[Image.Image, list[DrawnBox]]:
    rng, width, height = canvas.rng, canvas.width, canvas.height
    colour = rng.random() < 0.5
    if colour:
        paper = np.array([rng.uniform(225, 255), rng.uniform(220, 252), rng.uniform(205, 248)], dtype=np.float32)
        pen = tuple(int(v) for v in (rng.choice([[20, 20, 25], [25, 35, 120], [30, 30, 90], [40, 40, 40]])))
    else:
        paper = np.full(3, rng.uniform(215, 255), dtype=np.float32)
        pen = (20, 20, 20)
    pixels = _ink_rgb(canvas.print_layer, (0, 0, 0)) * _ink_rgb(canvas.pen_layer, pen)
    del canvas.print_layer, canvas.pen_layer
    # Uneven illumination: a smooth gradient across the page, down to 80 % of the paper's brightness.
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    angle = rng.uniform(0, 2 * math.pi)
    gradient = math.cos(angle) * xs + math.sin(angle) * ys
    gradient = (gradient - gradient.min()) / max(1e-6, float(gradient.max() - gradient.min()))
    light = 1.0 - rng.uniform(0.0, 0.2) * gradient
    pixels = pixels * (paper[None, None, :] * light[..., None])
    image = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "RGB")
    del pixels

    # Rotation about the centre and a slight shear; the labels follow the corners.
    theta = math.radians(rng.uniform(-1.5, 1.5))
    shear = rng.uniform(-0.012, 0.012)
    cx, cy = width / 2, height / 2
    forward = np.array([[math.cos(theta), -math.sin(theta) + shear], [math.sin(theta), math.cos(theta)]])
    inverse = np.linalg.inv(forward)
    offset = np.array([cx, cy]) - inverse @ np.array([cx, cy])
    fill = tuple(int(v) for v in paper * (1 - 0.1 * rng.random()))
    image = image.transform(
        (width, height),
        Image.Transform.AFFINE,
        (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1]),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )
    boxes = []
    for class_id, x1, y1, x2, y2 in canvas.boxes:
        corners = np.array([[x1, y1], [x2, y1], [x1, y2], [x2, y2]]) - [cx, cy]
        moved = corners @ forward.T + [cx, cy]
        bx1, by1 = np.clip(moved.min(axis=0), 0, [width, height])
        bx2, by2 = np.clip(moved.max(axis=0), 0, [width, height])
        boxes.append(
            DrawnBox(class_id, round(float(bx1), 2), round(float(by1), 2), round(float(bx2), 2), round(float(by2), 2))
        )

    if rng.random() < 0.3:  # an out-of-focus scan
        image = image.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.4, 1.3) * canvas.scale))
    sigma = rng.uniform(1.0, 6.0) * noise
    speckle = rng.uniform(0.0, 0.0015) * noise
    if sigma > 0 or speckle > 0:
        pixels = np.asarray(image, dtype=np.float32)
        if sigma > 0:
            grain = rng.standard_normal(size=(height, width, 1), dtype=np.float32)
            grain *= sigma
            pixels += grain
        if speckle > 0:
            dots = rng.random((height, width), dtype=np.float32)
            pixels[dots < speckle / 2] *= 0.3
            pixels[dots > 1 - speckle / 2] = 255
        image = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "RGB")
    if not colour:
        image = image.convert("L").convert("RGB")
    return image, boxes


def generate_page(seed: int, *, dpi: int = 300, noise: float = 1.0) -> SyntheticPage:
    """One A4 form at `dpi` (150 or 300) with 10-60 labelled checkboxes; `noise` scales the
    scanner noise (0: none, for pages stored losslessly)."""
    if dpi not in DPIS:
        raise ValueError(f"dpi must be one of {DPIS}, not {dpi}")
    width, height = page_size(dpi)
    rng = np.random.default_rng([seed, dpi])
    target = int(rng.integers(MIN_BOXES, MAX_BOXES + 1))
    for _attempt in range(8):
        canvas = _Canvas(width, height, dpi / 300, rng)
        _layout(canvas, target)
        if len(canvas.boxes) >= MIN_BOXES:
            break
    else:  # an unlucky layout eight times over: lists of mid-sized boxes
        canvas = _Canvas(width, height, dpi / 300, rng)
        canvas.box_side = canvas.px(40)
        top = canvas.px(200)
        while len(canvas.boxes) < target and top < height - canvas.px(400):
            top = _checkbox_list(canvas, canvas.px(200), width - canvas.px(200), top, target) + canvas.px(30)
    image, boxes = _scan(canvas, noise=noise)
    return SyntheticPage(image=image, boxes=tuple(boxes), dpi=dpi, seed=seed)


def encode_page(page: SyntheticPage, image_format: str, *, quality: int = 90) -> bytes:
    """The page as a scanner would store it: "JPEG" (at `quality`, 4:2:0) or "PNG" (greyscale
    pages as 8-bit grey). The file records the page's dpi."""
    buffer = io.BytesIO()
    fmt = image_format.upper()
    if fmt in ("JPEG", "JPG"):
        page.image.save(buffer, "JPEG", quality=quality, dpi=(page.dpi, page.dpi))
    elif fmt == "PNG":
        image = page.image
        if _is_grey(image):
            image = image.convert("L")
        image.save(buffer, "PNG", compress_level=6, dpi=(page.dpi, page.dpi))
    else:
        raise ValueError(f"image_format must be 'JPEG' or 'PNG', not {image_format!r}")
    return buffer.getvalue()


def _is_grey(image: Image.Image) -> bool:
    r, g, b = image.split()
    return r.tobytes() == g.tobytes() == b.tobytes()


# --- a YOLO dataset --------------------------------------------------------------------------


def yolo_label_lines(boxes: tuple[DrawnBox, ...] | list[DrawnBox], width: int, height: int) -> list[str]:
    """`class cx cy w h`, normalised to the page, one line a box (ultralytics' label format)."""
    lines = []
    for box in boxes:
        cx, cy = (box.x1 + box.x2) / 2 / width, (box.y1 + box.y2) / 2 / height
        w, h = (box.x2 - box.x1) / width, (box.y2 - box.y1) / height
        lines.append(f"{box.class_id} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


@dataclass(frozen=True)
class _Job:
    split: str
    index: int
    seed: int
    root: Path
    max_side: int | None  # downscale the stored image to this longest side (None: full size)


def page_settings(seed: int) -> tuple[int, str, int]:
    """(dpi, format, JPEG quality) of the dataset page with this seed: half each dpi, 60 % JPEG."""
    rng = np.random.default_rng([seed, 7])
    dpi = int(rng.choice(DPIS))
    image_format = "JPEG" if rng.random() < 0.6 else "PNG"
    return dpi, image_format, int(rng.integers(55, 96))


def _write_page(job: _Job) -> int:
    dpi, image_format, quality = page_settings(job.seed)
    page = generate_page(job.seed, dpi=dpi)
    stem = f"{job.split}_{job.index:05d}_s{job.seed}_{dpi}dpi"
    images, labels = job.root / "images" / job.split, job.root / "labels" / job.split
    width, height = page.image.size
    if job.max_side is None:
        data = encode_page(page, image_format, quality=quality)
        (images / f"{stem}.{'jpg' if image_format == 'JPEG' else 'png'}").write_bytes(data)
    else:
        # What the scanner stored, decoded and made smaller; PNG so nothing more is lost. Half
        # the pages anti-aliased (Pillow's resize, like the function), half point-sampled
        # bilinear (cv2.resize INTER_LINEAR, like ultralytics' letterbox of a big page).
        decoded = page.image  # PNG is lossless: the page itself
        if image_format == "JPEG":
            decoded = Image.open(io.BytesIO(encode_page(page, "JPEG", quality=quality))).convert("RGB")
        factor = job.max_side / max(width, height)
        size = (round(width * factor), round(height * factor))
        if np.random.default_rng([job.seed, 11]).random() < 0.5:
            small = decoded.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        else:
            small = decoded.transform(
                size,
                Image.Transform.AFFINE,
                (1 / factor, 0, 0.5 / factor - 0.5, 0, 1 / factor, 0.5 / factor - 0.5),
                resample=Image.Resampling.BILINEAR,
            )
        small.save(images / f"{stem}.png", "PNG", compress_level=1)
    (labels / f"{stem}.txt").write_text("".join(f"{line}\n" for line in yolo_label_lines(page.boxes, width, height)))
    return len(page.boxes)


def write_yolo_dataset(
    root: Path,
    *,
    train: int,
    val: int,
    test: int,
    seed: int,
    train_max_side: int | None = 640,
    processes: int | None = None,
) -> Path:
    """Writes an ultralytics dataset under `root` and returns its data.yaml.

    Page seeds: train `seed .. seed+train-1`, then val, then test, consecutively. Train and val
    pages are stored downscaled to `train_max_side` (the training size: ultralytics would shrink
    them to imgsz anyway); test pages at full size, as encoded. `processes`: worker processes
    (default: the CPU count); the output does not depend on it."""
    root = Path(root)
    jobs = []
    next_seed = seed
    for split, count in (("train", train), ("val", val), ("test", test)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            jobs.append(_Job(split, index, next_seed, root, None if split == "test" else train_max_side))
            next_seed += 1
    processes = processes or os.cpu_count() or 1
    if processes > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            list(pool.imap(_write_page, jobs, chunksize=4))
    else:
        for job in jobs:
            _write_page(job)
    data_yaml = root / "data.yaml"
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CLASS_NAMES))
    data_yaml.write_text(
        f"# Synthetic checkbox forms (training/checkbox/synthetic_forms.py), seeds {seed}..{next_seed - 1}\n"
        f"path: {root.resolve()}\ntrain: images/train\nval: images/val\ntest: images/test\nnames:\n{names}"
    )
    return data_yaml

"""A synthetic scanned form, deterministic: A4 at 300 dpi (2480 x 3508), white paper, lines of
text-like black strokes, and a grid of small checkbox squares of which some are checked.

    form = synthetic_form()                    # PIL "RGB" image
    data = encode(form, "JPEG")                # the bytes a client would upload

What a form scanner's output looks like to a decoder: mostly white, thin dark strokes, a little
anti-aliasing at the edges. No scanner noise: a noisy 300 dpi RGB PNG would be far over the
API's body limit (clients send such scans as JPEG), and a clean one is what a PNG client sends.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

A4_300DPI = (2480, 3508)
BOX_SIDE = 44  # about 3.7 mm at 300 dpi
BOX_STROKE = 4


@dataclass(frozen=True)
class Checkbox:
    x1: int
    y1: int
    x2: int
    y2: int
    checked: bool


def synthetic_form(*, size: tuple[int, int] = A4_300DPI, seed: int = 300) -> tuple[Image.Image, list[Checkbox]]:
    """The form and the checkboxes drawn on it (in pixels of `size`)."""
    rng = np.random.default_rng(seed)
    width, height = size
    scale = width / A4_300DPI[0]
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    margin = int(180 * scale)
    line_height = max(8, int(64 * scale))
    glyph_height = max(4, int(28 * scale))
    stroke = max(1, int(4 * scale))
    boxes: list[Checkbox] = []

    # Title block and a frame, as forms have.
    draw.rectangle([margin, margin, width - margin, margin + int(140 * scale)], outline=0, width=stroke)
    y = margin + int(220 * scale)
    row = 0
    while y + line_height < height - margin:
        x = margin
        if row % 3 == 2:  # every third line: a question with checkboxes
            side = max(6, int(BOX_SIDE * scale))
            for column in range(6):
                bx = margin + int(column * 360 * scale)
                box = Checkbox(bx, y, bx + side, y + side, checked=bool(rng.random() < 0.4))
                draw.rectangle([box.x1, box.y1, box.x2, box.y2], outline=0, width=max(1, int(BOX_STROKE * scale)))
                if box.checked:
                    inset = max(2, side // 5)
                    draw.line([box.x1 + inset, box.y1 + inset, box.x2 - inset, box.y2 - inset], fill=0, width=stroke)
                    draw.line([box.x1 + inset, box.y2 - inset, box.x2 - inset, box.y1 + inset], fill=0, width=stroke)
                boxes.append(box)
                _words(
                    draw,
                    rng,
                    x=box.x2 + int(20 * scale),
                    y=y + (side - glyph_height) // 2,
                    end=bx + int(330 * scale),
                    glyph_height=glyph_height,
                    stroke=stroke,
                    scale=scale,
                )
        else:
            end = width - margin - int(rng.integers(0, 600) * scale)
            _words(draw, rng, x=x, y=y, end=end, glyph_height=glyph_height, stroke=stroke, scale=scale)
            if row % 3 == 1:  # an answer line to write on
                draw.line([margin, y + line_height - stroke, width - margin, y + line_height - stroke], fill=0, width=1)
        y += line_height
        row += 1
    # A scanner's slight blur: anti-aliased edges instead of hard black and white.
    image = image.filter(ImageFilter.GaussianBlur(radius=0.7 * scale))
    return image.convert("RGB"), boxes


def _words(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    *,
    x: int,
    y: int,
    end: int,
    glyph_height: int,
    stroke: int,
    scale: float,
) -> None:
    """Text-like strokes: glyphs of random widths made of vertical and diagonal strokes."""
    while x < end:
        word_length = int(rng.integers(2, 9))
        for _ in range(word_length):
            glyph_width = int(rng.integers(10, 22) * scale) + 2
            if x + glyph_width > end:
                return
            kind = int(rng.integers(0, 4))
            top = y + (0 if rng.random() < 0.3 else glyph_height // 3)
            if kind == 0:
                draw.line([x, top, x, y + glyph_height], fill=0, width=stroke)
                draw.line([x, y + glyph_height, x + glyph_width - 2, y + glyph_height], fill=0, width=stroke)
            elif kind == 1:
                draw.ellipse([x, top, x + glyph_width - 2, y + glyph_height], outline=0, width=stroke)
            elif kind == 2:
                draw.line([x, y + glyph_height, x + glyph_width // 2, top], fill=0, width=stroke)
                draw.line([x + glyph_width // 2, top, x + glyph_width - 2, y + glyph_height], fill=0, width=stroke)
            else:
                draw.line([x, top, x, y + glyph_height], fill=0, width=stroke)
                draw.arc([x, top, x + glyph_width - 2, y + glyph_height], 270, 90, fill=0, width=stroke)
            x += glyph_width + max(1, int(4 * scale))
        x += int(rng.integers(18, 34) * scale)


ENCODINGS = {
    # name: (Pillow format, save options)
    "JPEG": ("JPEG", {"quality": 90, "subsampling": 0}),
    "PNG": ("PNG", {"compress_level": 6}),
    "TIFF (LZW, RGB)": ("TIFF", {"compression": "tiff_lzw"}),
    "TIFF (G4, bilevel)": ("TIFF", {"compression": "group4"}),
    "WebP": ("WEBP", {"quality": 90}),
}


def encode(image: Image.Image, encoding: str) -> bytes:
    """The image as the named encoding (see ENCODINGS) would store it, at 300 dpi."""
    image_format, options = ENCODINGS[encoding]
    if encoding == "TIFF (G4, bilevel)":
        image = image.convert("L").point(lambda value: 255 if value >= 128 else 0).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, image_format, dpi=(300, 300), **options)
    return buffer.getvalue()

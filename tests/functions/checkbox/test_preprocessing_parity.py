"""The function's input tensor is ultralytics' own, pixel for pixel.

ultralytics decodes with OpenCV (`cv2.imdecode(..., IMREAD_COLOR)`: EXIF orientation applied,
grey expanded to three channels), letterboxes with `cv2.resize(..., INTER_LINEAR)` and
`cv2.copyMakeBorder(..., 114)`, flips BGR to RGB and divides by 255
(ultralytics/data/augment.py LetterBox, engine/predictor.py preprocess). The reference below
is that sequence with OpenCV itself (opencv-python-headless, the release ultralytics runs
with in requirements/train-checkbox.txt); the function decodes with its own decoders
(checkbox.decoders, or Pillow) and resizes with the same OpenCV call, so what these tests hold
is the decoding, the orientation and the grey and colour handling around that call.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from checkbox.imaging import ImageLimits, open_image, scaled_pages
from checkbox.yolo import PAD_VALUE
from tests.support.checkbox import encoded

LIMITS = ImageLimits(max_pixels=40_000_000, max_pages=20)
A4_150_DPI = (1240, 1754)
A4_300_DPI = (2480, 3508)


def ultralytics_tensor(data: bytes, size: int = 640) -> np.ndarray:
    """ultralytics 8.4's predict preprocessing of an encoded image, with OpenCV."""
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    height, width = bgr.shape[:2]
    ratio = min(size / height, size / width)
    new_width, new_height = max(round(width * ratio), 1), max(round(height * ratio), 1)
    if (width, height) != (new_width, new_height):
        bgr = cv2.resize(bgr, (new_width, new_height), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - new_width) / 2, (size - new_height) / 2
    top, bottom = round(pad_y - 0.1), round(pad_y + 0.1)
    left, right = round(pad_x - 0.1), round(pad_x + 0.1)
    bgr = cv2.copyMakeBorder(bgr, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    return (bgr[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32)) / 255


def function_tensor(data: bytes) -> np.ndarray:
    (page,) = scaled_pages(open_image(data, limits=LIMITS), data=data, input_width=640, input_height=640, limits=LIMITS)
    return page.letterbox.tensor(page.pixels)


def scanned_page(size: tuple[int, int], *, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A form-like page with fine detail (thin strokes and noise), where filters differ most."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.new("RGB", size, (246, 244, 238))
    draw = ImageDraw.Draw(image)
    for top in range(60, height - 60, max(12, height // 90)):
        left = int(rng.integers(40, 120))
        draw.line([(left, top), (left + int(rng.integers(100, width - 200)), top)], fill=(30, 30, 40), width=1)
        side = int(rng.integers(10, 40))
        draw.rectangle([width - 200, top, width - 200 + side, top + side], outline=(10, 10, 10), width=2)
    noise = rng.normal(0, 6, (height, width, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).convert(mode)


@pytest.mark.parametrize("size", [A4_150_DPI, A4_300_DPI], ids=["150dpi", "300dpi"])
@pytest.mark.parametrize(
    ("image_format", "mode", "options"),
    [("JPEG", "RGB", {"quality": 90}), ("JPEG", "L", {"quality": 75}), ("PNG", "RGB", {}), ("PNG", "L", {})],
)
def test_the_input_tensor_is_ultralytics_own(
    size: tuple[int, int], image_format: str, mode: str, options: dict
) -> None:
    data = encoded(scanned_page(size, mode=mode), image_format, **options)
    assert np.array_equal(function_tensor(data), ultralytics_tensor(data))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_exif_rotated_jpeg_gives_ultralytics_tensor(orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(scanned_page((1754, 1240)), "JPEG", quality=90, exif=exif.tobytes())
    assert np.array_equal(function_tensor(data), ultralytics_tensor(data))

"""The function's input tensor is ultralytics' own, pixel for pixel.

ultralytics decodes with OpenCV (`cv2.imdecode(..., IMREAD_COLOR)`: EXIF orientation applied,
grey expanded to three channels), letterboxes with `cv2.resize(..., INTER_LINEAR)` and
`cv2.copyMakeBorder(..., 114)`, flips BGR to RGB and divides by 255
(ultralytics/data/augment.py LetterBox, engine/predictor.py preprocess). The reference below
is that sequence with OpenCV itself (opencv-python-headless, the release ultralytics runs
with in requirements/train-checkbox.txt); the function does it with Pillow and numpy.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from checkbox.imaging import ImageLimits, open_image, scaled_pages
from checkbox.resize import resize_linear, use_threads
from checkbox.yolo import PAD_VALUE

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


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.fixture(params=[1, 2, 3], ids=["1-thread", "2-threads", "3-threads"])
def resize_threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """Row bands resized at once (the handler sets the function's vCPUs); 1 again afterwards."""
    use_threads(request.param)
    yield request.param
    use_threads(1)


@pytest.mark.parametrize(
    ("height", "width", "channels"),
    [
        (3508, 2480, 3),
        (3508, 2480, 1),
        (1754, 1240, 3),
        (2339, 1653, 3),
        (4000, 3000, 4),
        (777, 1000, 2),
        (641, 479, 3),
        (40, 2000, 3),  # a strip: fewer output rows than a band
    ],
)
def test_shrinking_matches_opencv_bit_for_bit(height: int, width: int, channels: int, resize_threads: int) -> None:
    rng = np.random.default_rng(height * width + channels)
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    ratio = min(640 / height, 640 / width)
    target = (round(width * ratio), round(height * ratio))
    expected = cv2.resize(pixels, target, interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(resize_linear(pixels, *target), expected)


@pytest.mark.parametrize(("height", "width"), [(300, 200), (5, 7), (1, 1000), (480, 640)])
def test_enlarging_is_within_one_level_of_opencv(height: int, width: int, resize_threads: int) -> None:
    pixels = np.random.default_rng(height + width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    ratio = min(640 / height, 640 / width)
    target = (max(round(width * ratio), 1), max(round(height * ratio), 1))
    difference = np.abs(resize_linear(pixels, *target).astype(int) - cv2.resize(pixels, target).astype(int))
    assert difference.max() <= 1
    assert (difference == 0).mean() > 0.95


def test_resize_refuses_what_it_cannot_resize() -> None:
    with pytest.raises(ValueError, match="uint8"):
        resize_linear(np.zeros((4, 4), dtype=np.float32), 2, 2)
    with pytest.raises(ValueError, match="at least 1x1"):
        resize_linear(np.zeros((4, 4), dtype=np.uint8), 0, 2)


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

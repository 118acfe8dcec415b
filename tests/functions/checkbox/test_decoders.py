"""The fast decoders (checkbox.decoders): which pages they take, and that they give exactly
Pillow's pixels (Pillow's own pixels are tested against OpenCV's in test_preprocessing_parity.py)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from checkbox.decoders import decode_fast
from checkbox.imaging import ImageLimits, open_image, scaled_pages
from lambda_common.errors import ValidationError
from tests.support.checkbox import encoded, page_image, png_chunk, png_file

LIMITS = ImageLimits(max_pixels=40_000_000, max_pages=20)


def scan(width: int = 301, height: int = 203, *, mode: str = "RGB") -> Image.Image:
    """Noise over gradients: every IDCT coefficient and upsampling filter leaves its mark."""
    rng = np.random.default_rng(width * height)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], axis=2)
    noisy = np.clip(base + rng.integers(-40, 40, size=base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy).convert(mode)


def pillow_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def fast_pixels(data: bytes) -> np.ndarray | None:
    decoded = decode_fast(open_image(data, limits=LIMITS), data)
    return None if decoded is None else decoded.pixels


def _with_chunk_before_iend(data: bytes, kind: bytes, body: bytes) -> bytes:
    return data[:-12] + png_chunk(kind, body) + data[-12:]


def _flipped_idat_byte(data: bytes) -> bytes:
    """One bit of the pixel data flipped, CRC left as it was: corrupt."""
    position = data.index(b"IDAT") + 4 + 20
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def _sixteen_bit_rgb_png() -> bytes:
    rows = np.full((20, 30, 3), 40000, dtype=">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    return png_file(width=30, height=20, bit_depth=16, colour_type=2, raw=raw)


@pytest.mark.parametrize(
    "options",
    [
        {"subsampling": 0, "quality": 90},  # 4:4:4
        {"subsampling": 1, "quality": 90},  # 4:2:2
        {"subsampling": 2, "quality": 90},  # 4:2:0, what scanners write
        {"progressive": True, "quality": 75},
        {"quality": 55},
    ],
    ids=["444", "422", "420", "progressive", "low-quality"],
)
def test_jpeg_pixels_are_pillows(options: dict) -> None:
    data = encoded(scan(), "JPEG", **options)
    assert np.array_equal(fast_pixels(data), pillow_pixels(data))


@pytest.mark.parametrize(("image_format", "mode"), [("JPEG", "L"), ("PNG", "RGB"), ("PNG", "L")])
def test_grey_jpeg_and_png_pixels_are_pillows(image_format: str, mode: str) -> None:
    data = encoded(scan(mode=mode), image_format)
    fast = fast_pixels(data)
    assert fast is not None and fast.shape == ((203, 301) if mode == "L" else (203, 301, 3))
    assert np.array_equal(fast, pillow_pixels(data))


@pytest.mark.parametrize(
    ("make", "taken"),
    [
        (lambda: encoded(scan(), "JPEG"), True),
        (lambda: encoded(scan(mode="L"), "JPEG"), True),
        (lambda: encoded(scan(), "PNG"), True),
        (lambda: encoded(scan(mode="L"), "PNG"), True),
        (lambda: encoded(scan(), "PNG", optimize=True), True),
        (lambda: _with_chunk_before_iend(encoded(scan(), "PNG"), b"tEXt", b"Scanner\x00X"), True),
        (lambda: encoded(scan(), "JPEG") + b"\x00\x00", True),  # padding after the end marker
        (lambda: encoded(scan(), "JPEG")[:-100], False),  # truncated: Pillow's verdict
        (lambda: encoded(scan(), "PNG")[:-12], False),  # no IEND
        (lambda: encoded(scan(), "PNG")[:-40], False),  # cut inside the pixel data
        (lambda: _flipped_idat_byte(encoded(scan(), "PNG")), False),  # a CRC that does not match
        (lambda: _with_chunk_before_iend(encoded(scan(), "PNG"), b"eXIf", b"MM\x00*"), False),
        (lambda: encoded(scan(), "PNG", save_all=True, append_images=[scan(mode="RGB").rotate(90)]), False),
        (lambda: encoded(scan().convert("CMYK"), "JPEG"), False),
        (lambda: encoded(scan().convert("P"), "PNG"), False),
        (lambda: encoded(scan().convert("RGBA"), "PNG"), False),
        (lambda: encoded(scan().convert("1"), "PNG"), False),
        (lambda: encoded(scan(), "PNG", transparency=(255, 255, 255)), False),
        (_sixteen_bit_rgb_png, False),
        (lambda: encoded(scan(), "TIFF"), False),
        (lambda: encoded(scan(), "WEBP"), False),
    ],
    ids=[
        "jpeg-rgb",
        "jpeg-grey",
        "png-rgb",
        "png-grey",
        "png-optimized",
        "png-text-chunk",
        "jpeg-padded",
        "jpeg-truncated",
        "png-without-iend",
        "png-truncated",
        "png-bad-crc",
        "png-exif",
        "png-animated",
        "jpeg-cmyk",
        "png-palette",
        "png-alpha",
        "png-bilevel",
        "png-transparent-colour",
        "png-16-bit-rgb",
        "tiff",
        "webp",
    ],
)
def test_only_complete_8_bit_rgb_or_grey_jpeg_and_png_take_the_fast_route(
    make: Callable[[], bytes], taken: bool
) -> None:
    data = make()
    assert (fast_pixels(data) is not None) is taken


@pytest.mark.parametrize(
    "make",
    [
        lambda: encoded(scan(), "JPEG")[:-100],
        lambda: encoded(scan(), "PNG")[:-40],
        lambda: _flipped_idat_byte(encoded(scan(), "PNG")),
    ],
    ids=["jpeg-truncated", "png-truncated", "png-bad-crc"],
)
def test_what_the_fast_route_refuses_is_still_a_clear_400(make: Callable[[], bytes]) -> None:
    data = make()
    with pytest.raises(ValidationError, match="cannot be decoded"):
        list(scaled_pages(open_image(data, limits=LIMITS), data=data, input_width=640, input_height=640, limits=LIMITS))


def test_a_jpeg_keeps_its_exif_orientation_on_the_fast_route() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, shown rotated 90 degrees clockwise
    data = encoded(page_image(300, 200), "JPEG", exif=exif.tobytes())
    decoded = decode_fast(open_image(data, limits=LIMITS), data)
    assert decoded is not None and decoded.orientation == 6 and decoded.pixels.shape == (200, 300, 3)

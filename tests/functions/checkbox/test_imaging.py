"""Image decoding: the allowlist, limits, EXIF orientation, pages and pixel modes (the pixels
themselves against OpenCV: test_preprocessing_parity.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from checkbox.imaging import ImageLimits, open_image, scaled_pages
from lambda_common.errors import ValidationError
from tests.support.checkbox import encoded, multipage_tiff, page_image, png_claiming

LIMITS = ImageLimits(max_pixels=40_000_000, max_pages=20)


def pages(data: bytes, *, limits: ImageLimits = LIMITS, input_size: tuple[int, int] = (640, 640)) -> list:
    image = open_image(data, limits=limits)
    return list(scaled_pages(image, data=data, input_width=input_size[0], input_height=input_size[1], limits=limits))


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("PNG", {}), ("JPEG", {"quality": 95}), ("TIFF", {"compression": "tiff_lzw"}), ("WEBP", {"lossless": True})],
)
def test_allowed_formats_decode_to_rgb_at_the_models_scale(image_format: str, options: dict) -> None:
    (page,) = pages(encoded(page_image(1000, 300), image_format, **options))
    assert page.image_format == image_format
    assert (page.letterbox.width, page.letterbox.height) == (1000, 300)
    assert page.pixels.shape == (192, 640, 3) and page.pixels.dtype == np.uint8
    # The black mark near the top-left corner is where it was, the rest white.
    assert page.pixels[:5, :5].mean() > 200  # margin
    assert page.pixels[20, 25].max() < 60  # inside the mark (18..55 squared; at scale 0.64, 12..35)
    assert page.pixels[150:, 300:].min() > 200


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (encoded(page_image(20, 20), "GIF"), "(it is a GIF image)"),
        (encoded(page_image(20, 20), "BMP"), "(it is a BMP image)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "(it is a PDF document)"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "(it is a HEIC image)"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "(it is an SVG drawing)"),
        (b"hello, world", "image"),
        (b"\x89PNG\r\n\x1a\n", "image"),  # a PNG signature and nothing else
    ],
    ids=["gif", "bmp", "pdf", "heic", "svg", "text", "png-signature-only"],
)
def test_anything_else_is_refused_naming_the_formats(data: bytes, what: str) -> None:
    with pytest.raises(ValidationError, match=r"the file is not a PNG, JPEG, TIFF or WebP image") as caught:
        open_image(data, limits=LIMITS)
    assert caught.value.message.endswith(what)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="the image is empty"):
        open_image(b"", limits=LIMITS)


@pytest.mark.parametrize(("image_format", "keep"), [("PNG", 0.5), ("JPEG", 0.5), ("WEBP", 0.6), ("TIFF", 0.5)])
def test_a_truncated_file_is_refused(image_format: str, keep: float) -> None:
    rng = np.random.default_rng(1)
    noisy = Image.fromarray(rng.integers(0, 255, (400, 300, 3), dtype=np.uint8))  # no run-length shortcuts
    data = encoded(noisy, image_format)
    with pytest.raises(ValidationError, match=r"cannot be (decoded|read)|not a PNG, JPEG, TIFF or WebP"):
        pages(data[: int(len(data) * keep)])


# --- limits ---------------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ValidationError, match=r"the image is 10,000,000,000 pixels; the limit is 40,000,000 pixels"):
        open_image(png_claiming(100_000, 100_000), limits=LIMITS)


def test_between_one_and_two_times_the_limit_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow only warns between 1x and 2x its MAX_IMAGE_PIXELS; the warning is an error here.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40_000_000)  # as configure sets it
    with pytest.raises(ValidationError, match=r"48,000,000 pixels; the limit is 40,000,000"):
        open_image(png_claiming(8000, 6000), limits=LIMITS)


def test_the_configured_pixel_limit_applies() -> None:
    limits = ImageLimits(max_pixels=20_000, max_pages=20)
    assert pages(encoded(page_image(200, 100), "PNG"), limits=limits)
    with pytest.raises(ValidationError, match=r"the image is 201x100 = 20,100 pixels; the limit is 20,000 pixels"):
        open_image(encoded(page_image(201, 100), "PNG"), limits=limits)


def test_every_tiff_page_is_checked_against_the_pixel_limit() -> None:
    limits = ImageLimits(max_pixels=20_000, max_pages=20)
    data = multipage_tiff([(100, 100), (300, 100)])
    image = open_image(data, limits=limits)  # the first page is within the limit
    found = scaled_pages(image, data=data, input_width=640, input_height=640, limits=limits)
    assert next(found).index == 0
    with pytest.raises(ValidationError, match=r"page 1 is 300x100 = 30,000 pixels"):
        next(found)


def test_the_page_limit_applies_to_multipage_tiffs() -> None:
    limits = ImageLimits(max_pixels=40_000_000, max_pages=3)
    assert len(pages(multipage_tiff([(50, 50)] * 3), limits=limits)) == 3
    with pytest.raises(ValidationError, match="the TIFF has 4 pages; the limit is 3"):
        open_image(multipage_tiff([(50, 50)] * 4), limits=limits)


def test_a_multipage_tiff_gives_one_page_per_frame() -> None:
    found = pages(multipage_tiff([(2480, 3508), (1000, 300), (641, 479)], compression="tiff_deflate"))
    assert [(p.index, p.letterbox.width, p.letterbox.height) for p in found] == [
        (0, 2480, 3508),
        (1, 1000, 300),
        (2, 641, 479),
    ]
    assert [p.pixels.shape for p in found] == [(640, 452, 3), (192, 640, 3), (478, 640, 3)]


# --- scale and orientation ------------------------------------------------------------------


def test_a_jpeg_is_decoded_in_full_and_reported_at_its_original_size() -> None:
    data = encoded(page_image(2480, 3508), "JPEG")
    image = open_image(data, limits=LIMITS)
    (page,) = scaled_pages(image, data=data, input_width=640, input_height=640, limits=LIMITS)
    assert image.size == (2480, 3508)  # no reduced-scale (draft) decoding: it changes the pixels
    assert (page.letterbox.width, page.letterbox.height) == (2480, 3508)
    assert page.pixels.shape == (640, 452, 3)


def test_a_small_page_is_enlarged_into_the_input() -> None:
    (page,) = pages(encoded(page_image(320, 240), "PNG"))
    assert page.pixels.shape == (480, 640, 3)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("image_format", ["JPEG", "TIFF", "PNG", "WEBP"])
def test_exif_orientation_is_applied_like_imageops_exif_transpose(orientation: int, image_format: str) -> None:
    stored = page_image(900, 500)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(stored, image_format, exif=exif.tobytes(), **({"quality": 95} if image_format == "JPEG" else {}))
    (page,) = pages(data)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert (page.letterbox.width, page.letterbox.height) == upright.size
    expected = np.asarray(upright.convert("RGB").resize((page.letterbox.new_width, page.letterbox.new_height)))
    assert page.pixels.shape == expected.shape
    assert np.abs(page.pixels.astype(int) - expected.astype(int)).mean() < 3  # same picture, same way up


# --- pixel modes ----------------------------------------------------------------------------


def _mean_page(data: bytes) -> np.ndarray:
    (page,) = pages(data)
    assert page.pixels.dtype == np.uint8 and page.pixels.shape[2] == 3
    return page.pixels


def test_bilevel_tiff_g4() -> None:
    bilevel = page_image(1200, 1600).convert("1")
    pixels = _mean_page(encoded(bilevel, "TIFF", compression="group4"))
    assert pixels[:5, :5].min() == 255 and pixels[40, 40].max() == 0


def test_palette_png() -> None:
    pixels = _mean_page(encoded(page_image(300, 200).convert("P"), "PNG"))
    assert pixels[0, 0].tolist() == [255, 255, 255]


def test_transparent_png_is_composited_on_white_paper() -> None:
    clear = Image.new("RGBA", (300, 200), (0, 0, 0, 0))  # transparent black: would be a black page
    clear.paste((0, 0, 0, 255), (100, 50, 200, 150))
    pixels = _mean_page(encoded(clear, "PNG"))
    assert pixels[0, 0].tolist() == [255, 255, 255]
    assert pixels[pixels.shape[0] // 2, pixels.shape[1] // 2].tolist() == [0, 0, 0]


def test_cmyk_jpeg() -> None:
    pixels = _mean_page(encoded(page_image(300, 200).convert("CMYK"), "JPEG", quality=95))
    assert pixels[0, 0].min() > 240


def test_sixteen_bit_grey_png_keeps_its_range() -> None:
    array = np.full((200, 300), 65535, dtype=np.uint16)
    array[20:60, 20:60] = 0
    pixels = _mean_page(encoded(Image.fromarray(array), "PNG"))
    assert pixels[0, 0].tolist() == [255, 255, 255]  # not clipped to a black or white page
    assert pixels[int(40 * 640 / 300), int(40 * 640 / 300)].max() < 10

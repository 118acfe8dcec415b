"""Image decoding: an explicit format allowlist, the pixel and page limits, EXIF orientation,
and decoding at the scale the model needs.

Only the PNG, JPEG, TIFF and WebP plugins of Pillow are imported and only they are tried
(`Image.open(..., formats=ALLOWED_FORMATS)`): a GIF, a PDF or anything else is refused
without another decoder ever parsing it. Anything Pillow cannot decode (truncated, corrupt,
a TIFF compression it lacks) is the caller's problem and becomes a ValidationError.

Limits, both checked before a pixel is decoded:
- pixels per page (MAX_IMAGE_PIXELS). Pillow's own decompression-bomb guard is set to the
  same figure and its warning is an error here; every TIFF page is checked too (Pillow only
  checks the first frame when opening).
- pages (MAX_PAGES): a multi-page TIFF gives one page per frame; other formats one page.

Scale: each page is shrunk (or enlarged) into the model's input exactly as ultralytics'
LetterBox does it when it trains, validates and predicts: the whole page decoded at full
resolution, EXIF orientation applied, then OpenCV's own `cv2.resize(..., INTER_LINEAR)` (the
headless build: no GUI, no system libraries), so the pixels are ultralytics' by construction.
Complete 8-bit RGB and grey JPEG and PNG pages, nearly every scan, are decoded by
checkbox.decoders (libjpeg-turbo and libspng straight into numpy, faster than OpenCV's own
decoders); Pillow decodes everything else. Both give the same pixels as OpenCV for JPEG
(libjpeg-turbo, default IDCT and upsampling) and PNG (lossless). Faster routes exist and were
measured (benchmarks/checkbox.py): a JPEG decoded at 1/2-1/8 scale (`draft`) or Pillow's
antialiased resize give the network different pixels and 4-6 % different detections.
Modes: bilevel becomes 0/255 grey, 16-bit grey keeps its high byte (as OpenCV reads it), grey
is resized as one channel and repeated into RGB; palette and CMYK become RGB; transparency is
composited on white paper (after resizing: OpenCV would drop the alpha channel instead, so
transparent images are the one input where the two may differ).
"""

from __future__ import annotations

import io
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin  # noqa: F401  (registers only these)

from checkbox.decoders import decode_fast, exif_orientation
from checkbox.yolo import Letterbox
from lambda_common.errors import ValidationError

ALLOWED_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP")
ALLOWED_DESCRIPTION = "PNG, JPEG, TIFF or WebP"
# ImageOps.exif_transpose's table: EXIF orientation -> the transpose that displays the image upright.
TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What other files look like, to say what was sent when it is not an allowed image.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"BM", 0, "a BMP image"),
    (b"%PDF", 0, "a PDF document"),
    (b"PK\x03\x04", 0, "a ZIP archive"),
    (b"\x00\x00\x00\x0cjP  ", 0, "a JPEG 2000 image"),
    (b"ftypheic", 4, "a HEIC image"),
    (b"ftypheix", 4, "a HEIC image"),
    (b"ftypmif1", 4, "a HEIF image"),
    (b"ftypavif", 4, "an AVIF image"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"<svg", 0, "an SVG drawing"),
    (b"<?xml", 0, "an XML document"),
)
_BOMB_SIZE = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True, kw_only=True)
class ImageLimits:
    max_pixels: int
    max_pages: int


@dataclass(frozen=True, kw_only=True)
class ScaledPage:
    """One page decoded and scaled into the model's input (not yet padded)."""

    index: int
    letterbox: Letterbox  # original size (as displayed) and where the pixels go in the input
    pixels: np.ndarray  # uint8, letterbox.new_height x letterbox.new_width x 3, RGB
    image_format: str
    decode_ms: float  # reading the file into pixels, orientation included
    resize_ms: float  # the resize, mode conversion and compositing


def configure(*, max_pixels: int, threads: int) -> None:
    """Process-wide, at cold start: Pillow's decompression-bomb guard at the pixel limit, and
    how many threads OpenCV resizes a page with (the function's vCPUs, as onnxruntime's
    intra-op threads, rather than OpenCV's default of every CPU it sees)."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    cv2.setNumThreads(threads)


def open_image(data: bytes, *, limits: ImageLimits) -> Image.Image:
    """Identify the image (headers only) and check it against the allowlist and the limits."""
    if not data:
        raise ValidationError(f"the image is empty: send a {ALLOWED_DESCRIPTION} file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.UnidentifiedImageError:
        raise ValidationError(f"the file is not a {ALLOWED_DESCRIPTION} image{_what_it_is(data)}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        found = _BOMB_SIZE.search(str(error))
        pixels = f"{int(found.group(1)):,} pixels" if found else "more pixels than allowed"
        raise ValidationError(_too_many_pixels(pixels, limits.max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(f"the image cannot be read: {_pillow_message(error)}") from None
    if image.format not in ALLOWED_FORMATS:  # defensive: formats= already restricts the plugins
        raise ValidationError(f"{image.format} images are not accepted: send a {ALLOWED_DESCRIPTION} file")
    pages = page_count(image)
    if pages > limits.max_pages:
        raise ValidationError(
            f"the TIFF has {pages} pages; the limit is {limits.max_pages}: send at most {limits.max_pages} pages per request"
        )
    _check_pixels(image, limits)
    return image


def page_count(image: Image.Image) -> int:
    """Pages of a multi-page TIFF; 1 for everything else (an animated WebP's first frame is its page)."""
    if image.format != "TIFF":
        return 1
    try:
        return int(getattr(image, "n_frames", 1))
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(f"the TIFF's page directory cannot be read: {_pillow_message(error)}") from None


def scaled_pages(
    image: Image.Image, *, data: bytes, input_width: int, input_height: int, limits: ImageLimits
) -> Iterator[ScaledPage]:
    """Every page of `image` (opened by open_image from `data`, the file's bytes), decoded and
    scaled for the model, one at a time (a page's pixels are released before the next page is
    decoded)."""
    for index in range(page_count(image)):
        if index:
            try:
                image.seek(index)
            except (OSError, SyntaxError, ValueError, EOFError) as error:
                raise ValidationError(f"page {index} of the TIFF cannot be read: {_pillow_message(error)}") from None
            _check_pixels(image, limits, page=index)
        yield scale_page(image, data=data, index=index, input_width=input_width, input_height=input_height)


def scale_page(image: Image.Image, *, data: bytes, index: int, input_width: int, input_height: int) -> ScaledPage:
    started = time.perf_counter()
    fast = decode_fast(image, data) if index == 0 else None  # TIFF's later pages are Pillow's anyway
    if fast is not None:
        pixels, orientation = fast.pixels, fast.orientation
    else:
        pixels, orientation = _decode_with_pillow(image, index=index), exif_orientation(image)
    transpose = TRANSPOSE_FOR_ORIENTATION.get(orientation)
    if transpose is not None:  # before resizing, as OpenCV applies it when it decodes
        pixels = _transposed(pixels, transpose)
    height, width = pixels.shape[:2]
    letterbox = Letterbox.fit(width, height, input_width=input_width, input_height=input_height)
    decoded = time.perf_counter()

    # OpenCV reads a flipped or rotated (EXIF) view only as a contiguous copy.
    scaled = cv2.resize(
        np.ascontiguousarray(pixels), (letterbox.new_width, letterbox.new_height), interpolation=cv2.INTER_LINEAR
    )
    del pixels  # the full page is the largest buffer of a request
    finished_pixels = _rgb(scaled)
    finished = time.perf_counter()
    return ScaledPage(
        index=index,
        letterbox=letterbox,
        pixels=finished_pixels,
        image_format=str(image.format),
        decode_ms=(decoded - started) * 1000,
        resize_ms=(finished - decoded) * 1000,
    )


def _decode_with_pillow(image: Image.Image, *, index: int) -> np.ndarray:
    try:
        image.load()  # the whole page: see the module's docstring for why not a reduced scale
        return _pixels(image)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        page = f"page {index} of the image" if index else "the image"
        raise ValidationError(f"{page} cannot be decoded: {_pillow_message(error)}") from None


def _pixels(image: Image.Image) -> np.ndarray:
    """The decoded page as uint8: H x W (grey), H x W x 3 (RGB) or H x W x 2/4 (with alpha),
    converting as little as possible."""
    mode = image.mode
    if mode in ("L", "RGB", "RGBA", "LA"):
        return np.asarray(image)
    if mode == "1":
        return np.asarray(image.convert("L"))
    if mode in ("P", "PA"):
        return np.asarray(image.convert("RGBA" if "transparency" in image.info or mode == "PA" else "RGB"))
    if mode in ("RGBa", "La"):  # premultiplied alpha
        return np.asarray(image.convert("RGBA" if mode == "RGBa" else "LA"))
    if mode.startswith("I") or mode == "F":  # 16-bit and 32-bit grey (scanners' "16-bit" TIFFs)
        array = np.asarray(image)
        if array.dtype.itemsize > 1 or array.max(initial=0) > 255:
            # OpenCV reads 16-bit pages as their high byte; anything wider is clipped to 16 bits first.
            return (np.clip(array, 0, 65535).astype(np.uint32) >> 8).astype(np.uint8)
        return array.astype(np.uint8)
    return np.asarray(image.convert("RGB"))  # CMYK, YCbCr, LAB, HSV


def _transposed(pixels: np.ndarray, transpose: Image.Transpose) -> np.ndarray:
    """ImageOps.exif_transpose's operations on an H x W (x C) array."""
    if transpose == Image.Transpose.FLIP_LEFT_RIGHT:
        return pixels[:, ::-1]
    if transpose == Image.Transpose.FLIP_TOP_BOTTOM:
        return pixels[::-1]
    if transpose == Image.Transpose.ROTATE_180:
        return pixels[::-1, ::-1]
    if transpose == Image.Transpose.ROTATE_90:  # counter-clockwise
        return np.rot90(pixels, 1)
    if transpose == Image.Transpose.ROTATE_270:
        return np.rot90(pixels, -1)
    if transpose == Image.Transpose.TRANSPOSE:
        return np.swapaxes(pixels, 0, 1)
    return np.rot90(pixels, 2).swapaxes(0, 1)  # TRANSVERSE


def _rgb(pixels: np.ndarray) -> np.ndarray:
    """H x W x 3 RGB from the resized page: grey repeated, alpha composited on white paper."""
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2)
    channels = pixels.shape[2]
    if channels == 3:
        return pixels
    colour = pixels[:, :, :-1] if channels == 4 else np.repeat(pixels[:, :, :1], 3, axis=2)
    alpha = pixels[:, :, -1:].astype(np.uint16)
    composited = (colour.astype(np.uint16) * alpha + 255 * (255 - alpha) + 127) // 255
    return composited.astype(np.uint8)


def _check_pixels(image: Image.Image, limits: ImageLimits, *, page: int = 0) -> None:
    width, height = image.size
    if width * height > limits.max_pixels:
        where = f"page {page} is" if page else "the image is"
        raise ValidationError(
            _too_many_pixels(f"{width}x{height} = {width * height:,} pixels", limits.max_pixels, where)
        )


def _too_many_pixels(size: str, limit: int, where: str = "the image is") -> str:
    return (
        f"{where} {size}; the limit is {limit:,} pixels per page: send a smaller scan"
        " (300 dpi is plenty for checkboxes)"
    )


def _what_it_is(data: bytes) -> str:
    head = data[:32].lstrip()
    for signature, offset, name in _SIGNATURES:
        if head[offset : offset + len(signature)].lower() == signature.lower():
            return f" (it is {name})"
    return ""


def _pillow_message(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]

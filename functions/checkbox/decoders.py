"""The fast route from a page's bytes to its pixels: complete 8-bit RGB or grey JPEG and PNG.

Scans are almost always these, and Pillow decodes them slowly: at 300 dpi most of the
function's time went into `Image.load` and the copy out of Pillow's RGBX buffer. Two small
decoders write straight into numpy and give the very same pixels:
- JPEG: simplejpeg (libjpeg-turbo's TurboJPEG API, like Pillow and OpenCV) with the accurate
  integer IDCT and fancy upsampling, libjpeg's defaults, which Pillow and OpenCV use too.
  `strict` makes libjpeg's warnings (a truncated or corrupt stream) errors, as Pillow does.
- PNG: pyspng (libspng). Lossless, so any correct decoder agrees; but pyspng tells libspng to
  skip chunk CRCs and libspng stops inflating once it has every row, so a corrupt file could
  decode into garbage. The CRCs are checked here first (zlib.crc32, about 2 ms for 10 MB),
  which is what libpng (OpenCV) does.
Anything else (another mode or bit depth, transparency, a PNG with an eXIf chunk or animated, a
file that does not end as a complete one, a CRC or decoder error) returns None and Pillow
decodes it, or says why it cannot.

EXIF orientation: a JPEG's is in the headers Pillow has already read. A PNG's eXIf chunk may
follow the pixel data, where Pillow only looks by decoding the whole image, so the fast route
takes PNGs without one (orientation 1) and leaves the rare PNG with one to Pillow.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pyspng
import simplejpeg
from PIL import Image

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_BIT_DEPTH_OFFSET = 24  # signature (8), IHDR length and type (8), width and height (8)
_PNG_GREY, _PNG_RGB = 0, 2  # IHDR colour types; the others have a palette or alpha
_CHUNK_OVERHEAD = 12  # length (4), type (4), CRC (4)
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class DecodedPage:
    pixels: np.ndarray  # H x W uint8 grey or H x W x 3 RGB, as stored (orientation not applied)
    orientation: int  # EXIF orientation, 1 to 8


def decode_fast(image: Image.Image, data: bytes) -> DecodedPage | None:
    """The first page of `image` (opened by Pillow from `data`), or None when it is not one
    these decoders take (Pillow's route then)."""
    if image.mode not in ("RGB", "L"):
        return None
    if image.format == "JPEG":
        pixels = _jpeg(data, grey=image.mode == "L")
        return None if pixels is None else DecodedPage(pixels, exif_orientation(image))
    if image.format == "PNG" and "transparency" not in image.info:
        pixels = _png(data)
        return None if pixels is None else DecodedPage(pixels, 1)
    return None


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 when absent or unreadable: a broken EXIF block is not worth a 400)."""
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # Pillow raises many types on malformed EXIF; orientation is best effort
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _jpeg(data: bytes, *, grey: bool) -> np.ndarray | None:
    try:
        pixels = simplejpeg.decode_jpeg(
            data, colorspace="GRAY" if grey else "RGB", fastdct=False, fastupsample=False, strict=True
        )
    except ValueError:  # simplejpeg's one error type: Pillow's route gives the verdict and the message
        return None
    return pixels[:, :, 0] if grey else pixels


def _png(data: bytes) -> np.ndarray | None:
    if not _complete_without_exif(data) or data[_PNG_BIT_DEPTH_OFFSET] != 8:  # IHDR is first and 13 bytes
        return None
    colour_type = data[_PNG_BIT_DEPTH_OFFSET + 1]
    if colour_type not in (_PNG_GREY, _PNG_RGB):
        return None
    try:
        return pyspng.load(data, format="L" if colour_type == _PNG_GREY else "RGB")
    except RuntimeError:  # pyspng's error for anything libspng refuses
        return None


def _complete_without_exif(data: bytes) -> bool:
    """Whether the file is PNG chunks from the signature to IEND, every CRC correct, with neither
    an eXIf chunk nor an animation (APNG's acTL)."""
    if not data.startswith(_PNG_SIGNATURE):
        return False
    view = memoryview(data)
    offset = len(_PNG_SIGNATURE)
    while offset + _CHUNK_OVERHEAD <= len(data):
        length = int.from_bytes(view[offset : offset + 4], "big")
        end = offset + 8 + length
        if end + 4 > len(data):
            return False
        if zlib.crc32(view[offset + 4 : end]) != int.from_bytes(view[end : end + 4], "big"):
            return False
        kind = view[offset + 4 : offset + 8]
        if kind in (b"eXIf", b"acTL"):  # orientation, or an animation whose first frame Pillow picks
            return False
        if kind == b"IEND":
            return True
        offset = end + 4
    return False

"""What the checkbox function's tests share besides fixtures (tests/functions/checkbox/conftest.py has
those): its paths and environment, and helpers; moved here from that conftest so that test
modules import them from tests.support, never from a conftest."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import Image, ImageDraw

from checkbox.config import TUNING_VARIABLES
from checkbox.detector import Detector
from stacks.common.paths import REPO_ROOT
from tests.support.events import multipart, rest_event
from tests.support.handlers import runtime_environment

FUNCTION_DIR = REPO_ROOT / "functions" / "checkbox"
FIXTURES_DIR = REPO_ROOT / "fixtures" / "checkbox"
TINY_MODEL = FIXTURES_DIR / "yolov8_tiny" / "model.onnx"  # small and fast: the handler tests' model
KNOWN_V8_MODEL = FIXTURES_DIR / "known_output" / "v8" / "model.onnx"
KNOWN_V5_MODEL = FIXTURES_DIR / "known_output" / "v5" / "model.onnx"
KNOWN_RECT_MODEL = FIXTURES_DIR / "known_output" / "v8_rect" / "model.onnx"
FUNCTION_NAME = "checkbox-test"
# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_PATH": str(TINY_MODEL),
    **runtime_environment(service="checkbox", function_name=FUNCTION_NAME, memory_mb=3008),
}
# Read by the function: must not leak in from the developer's shell.
UNSET_VARIABLES = (*TUNING_VARIABLES, "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV")


def predict_event(
    image: bytes,
    *,
    conf: str | None = None,
    iou: str | None = None,
    filename: str = "scan.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    fields: dict[str, Any] = {"file": (filename, image, content_type)}
    if conf is not None:
        fields["conf"] = conf
    if iou is not None:
        fields["iou"] = iou
    body, header = multipart(fields)
    return rest_event("POST", "/predict", body, content_type=header)


def page_image(width: int, height: int, *, mode: str = "RGB") -> Image.Image:
    """A white page with an asymmetric mark (a black square near the top-left corner)."""
    image = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(image)
    side = max(2, min(width, height) // 8)
    draw.rectangle([side // 2, side // 2, side // 2 + side, side // 2 + side], fill="black")
    return image


def encoded(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


class DetectorSpy:
    """Stands in for the loaded model and fails the test if inference is asked for."""

    def __init__(self, real: Detector) -> None:
        self.identity = real.identity
        self.input_size = real.input_size
        self.calls = 0

    def run(self, tensor: Any) -> Any:
        self.calls += 1
        raise AssertionError("inference must not run")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body and the CRC of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_file(*, width: int, height: int, bit_depth: int, colour_type: int, raw: bytes) -> bytes:
    """A PNG built by hand: its header as given and `raw` (filtered scanlines) as its one IDAT."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height of 8-bit grey (its data is a few bytes: a bomb's shape)."""
    return png_file(width=width, height=height, bit_depth=8, colour_type=0, raw=b"\x00" * 64)


def multipage_tiff(sizes: list[tuple[int, int]], **options: object) -> bytes:
    first, *rest = [page_image(w, h) for w, h in sizes]
    buffer = io.BytesIO()
    first.save(buffer, "TIFF", save_all=True, append_images=rest, **options)
    return buffer.getvalue()

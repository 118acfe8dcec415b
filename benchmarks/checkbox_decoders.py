"""Decode + resize options for the checkbox function, timed and compared with ultralytics' own
letterbox (benchmarks/checkbox.py runs this script once per interpreter that has the options:
the bench venv for Pillow, the ultralytics venv or a scratch venv for OpenCV / imagecodecs).

    python benchmarks/checkbox_decoders.py --job job.json --output out.json

job.json: {"input_size": [width, height] of the model, "pages": [{"path", "image_format", "npy", "top", "left", "height", "width"}, ...],
"options": [names], "repeats": R}. Each page's `npy` is ultralytics' LetterBox(new_shape,
auto=False) output (RGB, from benchmarks/checkbox_ultralytics.py); top/left/height/width is the
window the page's pixels fill in it (the rest is padding, the same grey for every option, so it
is left out of the comparison).

One timed call: the encoded bytes (in memory) to the page's RGB pixels at the letterbox's
content size (uint8, height x width x 3). Per option: p50 over pages x repeats, and against
ultralytics' window: the mean absolute difference in /255 units and the share of identical
values (per channel value). The extra package's installed size (the files of its distribution,
its bundled libraries included) and its import time (a fresh process that has already imported
numpy and PIL.Image, as the function has; median of 5) are reported too.

Options (those whose libraries are missing in this interpreter are reported as unavailable):
  function      the function's own checkbox.imaging (open_image + scaled_pages), as deployed:
                checkbox.decoders (simplejpeg, pyspng) for 8-bit RGB and grey JPEG and PNG,
                OpenCV's resize
  pillow        what the function decoded with before checkbox.decoders: Pillow full decode +
                OpenCV's resize (grey pages resized as one channel, then repeated to RGB)
  pillow-draft  Pillow reduced-scale JPEG decode (Image.draft to the smallest 1/2, 1/4, 1/8
                scale not below the target) + OpenCV's resize (JPEG only)
  cv2           cv2.imdecode(IMREAD_COLOR) + cv2.resize(INTER_LINEAR) + BGR -> RGB
  imagecodecs   imagecodecs.png_decode (libpng) + OpenCV's resize (PNG only)
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# option -> (the import statement that loads what the option uses, distribution names to look for)
EXTRA_PACKAGE = {
    "function": ("import simplejpeg, pyspng, cv2", ("simplejpeg", "pyspng", "opencv-python-headless")),
    "pillow": (None, ()),
    "pillow-draft": (None, ()),
    "cv2": (
        "import cv2",
        ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless", "opencv-contrib-python"),
    ),
    # imagecodecs loads its codec modules on first use: import the decoder itself
    "imagecodecs": ("from imagecodecs import png_decode", ("imagecodecs",)),
}
FORMATS = {"pillow-draft": ("JPEG",), "imagecodecs": ("PNG",)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    arguments = parser.parse_args()
    job = json.loads(arguments.job.read_text())
    results = {}
    for option in job["options"]:
        try:
            results[option] = measure(option, job["pages"], repeats=job["repeats"], input_size=tuple(job["input_size"]))
        except Exception as error:  # an API that changed under us: say so, measure the rest
            results[option] = {"available": False, "why": f"failed: {type(error).__name__}: {error}"}
    arguments.output.write_text(json.dumps({"python": sys.executable, "options": results}, indent=2))


def measure(option: str, pages: list[dict[str, Any]], *, repeats: int, input_size: tuple[int, int]) -> dict[str, Any]:
    try:
        convert = _converter(option, input_size)
    except ImportError as error:
        return {"available": False, "why": f"{type(error).__name__}: {error}"}
    found: dict[str, Any] = {"available": True, "package": _package(option), "formats": {}}
    if option == "cv2":
        import cv2

        found["threads"] = cv2.getNumThreads()
    for image_format in sorted({page["image_format"] for page in pages}):
        if image_format not in FORMATS.get(option, (image_format,)):
            continue
        chosen = [page for page in pages if page["image_format"] == image_format]
        times, differences, identical, values = [], 0.0, 0, 0
        for page in chosen:
            data = Path(page["path"]).read_bytes()
            size = (page["width"], page["height"])
            pixels = convert(data, size)  # warm-up, and the pixels to compare
            for _ in range(repeats):
                started = time.perf_counter_ns()
                convert(data, size)
                times.append((time.perf_counter_ns() - started) / 1e6)
            reference = np.load(page["npy"])[
                page["top"] : page["top"] + page["height"], page["left"] : page["left"] + page["width"]
            ]
            if pixels.shape != reference.shape:
                raise RuntimeError(
                    f"{option}: {page['path']} gave {pixels.shape}, ultralytics' window is {reference.shape}"
                )
            delta = np.abs(pixels.astype(np.int16) - reference.astype(np.int16))
            differences += float(delta.sum())
            identical += int((delta == 0).sum())
            values += delta.size
        times.sort()
        found["formats"][image_format] = {
            "pages": len(chosen),
            "calls": len(times),
            "p50_ms": times[(len(times) + 1) // 2 - 1],
            "min_ms": times[0],
            "mean_abs_difference_255": differences / values / 255,
            "identical_share": identical / values,
        }
    return found


def _converter(option: str, input_size: tuple[int, int]) -> Callable[[bytes, tuple[int, int]], np.ndarray]:
    """bytes, letterbox content size (width, height) -> RGB pixels of that size."""
    if option == "function":
        from checkbox.imaging import ImageLimits, open_image, scaled_pages

        limits = ImageLimits(max_pixels=40_000_000, max_pages=20)

        def function(data: bytes, size: tuple[int, int]) -> np.ndarray:  # noqa: ARG001  (it fits the page itself)
            image = open_image(data, limits=limits)
            (page,) = scaled_pages(
                image, data=data, input_width=input_size[0], input_height=input_size[1], limits=limits
            )
            return page.pixels

        return function
    if option in ("pillow", "pillow-draft"):
        from PIL import Image

        draft = option == "pillow-draft"

        def pillow(data: bytes, size: tuple[int, int]) -> np.ndarray:
            image = Image.open(io.BytesIO(data))
            if draft:
                image.draft("RGB", size)
            if image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            return _rgb(_resize(np.asarray(image), size))

        return pillow
    if option == "cv2":
        import cv2

        def opencv(data: bytes, size: tuple[int, int]) -> np.ndarray:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            return cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)

        return opencv
    if option == "imagecodecs":
        import imagecodecs

        def codecs(data: bytes, size: tuple[int, int]) -> np.ndarray:
            pixels = imagecodecs.png_decode(data)
            if pixels.ndim == 3 and pixels.shape[2] == 4:
                raise ValueError("RGBA pages are not part of this benchmark")
            return _rgb(_resize(pixels, size))

        return codecs
    raise ValueError(f"unknown option {option!r}")


def _resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The function's resize: OpenCV's INTER_LINEAR, as ultralytics' LetterBox."""
    import cv2

    return cv2.resize(np.ascontiguousarray(pixels), size, interpolation=cv2.INTER_LINEAR)


def _rgb(pixels: np.ndarray) -> np.ndarray:
    """Grey (H x W or H x W x 1) -> three equal channels; RGB unchanged."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    return pixels


def _package(option: str) -> dict[str, Any] | None:
    statement, distributions = EXTRA_PACKAGE[option]
    if statement is None:
        return None
    from importlib import metadata

    installed = []
    for name in distributions:  # every one installed counts (cv2's alternatives: one at most)
        try:
            installed.append(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            continue
    name = " + ".join(d.metadata["Name"] for d in installed) or "?"
    version = " + ".join(d.version for d in installed) or None
    size = (
        sum(
            path.stat().st_size
            for distribution in installed
            for path in (Path(str(distribution.locate_file(f))) for f in distribution.files or ())
            if path.is_file()
        )
        if installed
        else None
    )
    script = f"import numpy, PIL.Image, time; started = time.perf_counter(); {statement}; print((time.perf_counter() - started) * 1000)"
    imports = [
        float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]
    return {
        "distribution": name,
        "version": version,
        "installed_bytes": size,
        "import_ms_median_of_5": statistics.median(imports),
    }


if __name__ == "__main__":
    main()

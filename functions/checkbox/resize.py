"""OpenCV's `cv2.resize(..., interpolation=cv2.INTER_LINEAR)` for 8-bit images, in numpy.

The model was trained and validated on pages that ultralytics shrank with cv2.INTER_LINEAR
(its LetterBox), so the function must shrink them the same way: any other filter (Pillow's
antialiased bilinear, a box reduction, a reduced-scale JPEG decode) gives the network
different pixels and, measured, 4-6 % different detections. OpenCV itself is not shipped: it
is a large wheel with a video stack the function never uses, and this is its arithmetic.

What OpenCV computes for uint8 (modules/imgproc/src/resize.cpp, resizeGeneric_ with
HResizeLinear and VResizeLinear + its SIMD kernel VResizeLinearVec_32s8u):
- source coordinate of output pixel d: f = float32((d + 0.5) * src / dst - 0.5); s = floor(f),
  fraction f - s; clamped at both edges (fraction 0 there);
- weights: round(fraction * 2048) and round((1 - fraction) * 2048) (11 fractional bits);
- horizontal pass: exact int32 sums of the two neighbours times their weights;
- vertical pass: ((w0 * (row0 >> 4)) >> 16) + ((w1 * (row1 >> 4)) >> 16), plus 2, >> 2.
Only the two source rows and columns each output pixel reads are touched, so the cost is the
output's size, not the page's. Output rows are independent and numpy releases the GIL in these
loops, so with `use_threads(n)` the rows are split into n bands resized at once (the caller's
thread does one): 4.3 -> 2.3 ms for a 150 dpi colour page on 2 vCPUs. Shrinking matches OpenCV 5.1 bit for bit (tests compare them);
enlarging a tiny image can differ by 1 in a few pixels (OpenCV's scalar tail rounds otherwise).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

_WEIGHT_SCALE = np.float32(2048)  # INTER_RESIZE_COEF_SCALE
_MIN_BAND_ROWS = 32  # below this a band is not worth a thread's hand-off
_pool: ThreadPoolExecutor | None = None
_bands = 1


def use_threads(count: int) -> None:
    """Resize in `count` bands at once from now on (set at cold start; 1: the caller's thread only)."""
    global _pool, _bands
    if _pool is not None:
        _pool.shutdown(wait=False)
    _bands = max(1, count)
    _pool = ThreadPoolExecutor(max_workers=_bands - 1, thread_name_prefix="resize") if _bands > 1 else None


def resize_linear(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """`pixels` (uint8, H x W or H x W x C) resized to width x height as cv2.INTER_LINEAR does."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"expected uint8 H x W or H x W x C pixels, got {pixels.dtype} of shape {pixels.shape}")
    if width < 1 or height < 1:
        raise ValueError(f"the output must be at least 1x1, got {width}x{height}")
    source_height, source_width = pixels.shape[:2]
    if (source_width, source_height) == (width, height):
        return pixels.copy()
    rows = _taps(source_height, height)
    columns = _ColumnTaps(source_width, width, pixels.shape[2] if pixels.ndim == 3 else 1)
    interleaved = pixels.reshape(source_height, -1)  # rows of interleaved channels
    first, *others = _row_bands(height)
    pending = [_pool.submit(_band, interleaved, rows, band, columns) for band in others] if _pool is not None else []
    resized = np.concatenate([_band(interleaved, rows, first, columns)] + [job.result() for job in pending])
    return resized.reshape((height, width, -1) if pixels.ndim == 3 else (height, width))


def _row_bands(height: int) -> list[slice]:
    bands = max(1, min(_bands, height // _MIN_BAND_ROWS))
    edges = [height * band // bands for band in range(bands + 1)]
    return [slice(start, stop) for start, stop in zip(edges, edges[1:], strict=False)]


class _ColumnTaps:
    """The horizontal pass's source columns and weights, per channel of interleaved rows
    (column c of channel k is element c * channels + k)."""

    def __init__(self, source_width: int, width: int, channels: int) -> None:
        cols0, cols1, weight0, weight1 = _taps(source_width, width)
        channel = np.arange(channels)
        self.cols0 = (cols0[:, None] * channels + channel).ravel()
        self.cols1 = (cols1[:, None] * channels + channel).ravel()
        self.weight0 = np.repeat(weight0, channels)
        self.weight1 = np.repeat(weight1, channels)


def _band(
    interleaved: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    band: slice,
    columns: _ColumnTaps,
) -> np.ndarray:
    """Output rows `band`: both passes, uint8 (rows x width * channels)."""
    rows0, rows1, row_weight0, row_weight1 = (taps[band] for taps in rows)
    top = _horizontal(np.take(interleaved, rows0, axis=0), columns)
    bottom = _horizontal(np.take(interleaved, rows1, axis=0), columns)
    top >>= 4
    top *= row_weight0[:, None]
    top >>= 16
    bottom >>= 4
    bottom *= row_weight1[:, None]
    bottom >>= 16
    top += bottom
    top += 2
    top >>= 2
    return np.clip(top, 0, 255, out=top).astype(np.uint8)


def _taps(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each output index: the two source indices and their 11-bit weights (OpenCV's)."""
    position = ((np.arange(target, dtype=np.float64) + 0.5) * (source / target) - 0.5).astype(np.float32)
    first = np.floor(position).astype(np.int64)
    fraction = position - first.astype(np.float32)
    before = first < 0
    first[before] = 0
    fraction[before] = 0
    after = first >= source - 1
    first[after] = source - 1
    fraction[after] = 0
    second = np.minimum(first + 1, source - 1)
    weight1 = np.rint(fraction * _WEIGHT_SCALE).astype(np.int32)
    weight0 = np.rint((np.float32(1) - fraction) * _WEIGHT_SCALE).astype(np.int32)
    return first, second, weight0, weight1


def _horizontal(rows: np.ndarray, columns: _ColumnTaps) -> np.ndarray:
    """The horizontal pass over the source rows the vertical pass reads (exact int32 sums)."""
    left = np.take(rows, columns.cols0, axis=1).astype(np.int32)
    left *= columns.weight0
    right = np.take(rows, columns.cols1, axis=1).astype(np.int32)
    right *= columns.weight1
    left += right
    return left

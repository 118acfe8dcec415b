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
output's size, not the page's. Shrinking matches OpenCV 5.1 bit for bit (tests compare them);
enlarging a tiny image can differ by 1 in a few pixels (OpenCV's scalar tail rounds otherwise).
"""

from __future__ import annotations

import numpy as np

_WEIGHT_SCALE = np.float32(2048)  # INTER_RESIZE_COEF_SCALE


def resize_linear(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """`pixels` (uint8, H x W or H x W x C) resized to width x height as cv2.INTER_LINEAR does."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"expected uint8 H x W or H x W x C pixels, got {pixels.dtype} of shape {pixels.shape}")
    if width < 1 or height < 1:
        raise ValueError(f"the output must be at least 1x1, got {width}x{height}")
    source_height, source_width = pixels.shape[:2]
    if (source_width, source_height) == (width, height):
        return pixels.copy()
    channels = pixels.shape[2] if pixels.ndim == 3 else 1
    rows0, rows1, row_weight0, row_weight1 = _taps(source_height, height)
    cols0, cols1, col_weight0, col_weight1 = _taps(source_width, width)
    # Rows of interleaved channels: column c of channel k is element c * channels + k.
    interleaved = pixels.reshape(source_height, source_width * channels)
    channel = np.arange(channels)
    cols0 = (cols0[:, None] * channels + channel).ravel()
    cols1 = (cols1[:, None] * channels + channel).ravel()
    col_weight0 = np.repeat(col_weight0, channels)
    col_weight1 = np.repeat(col_weight1, channels)
    top = _horizontal(np.take(interleaved, rows0, axis=0), cols0, cols1, col_weight0, col_weight1)
    bottom = _horizontal(np.take(interleaved, rows1, axis=0), cols0, cols1, col_weight0, col_weight1)
    top >>= 4
    top *= row_weight0[:, None]
    top >>= 16
    bottom >>= 4
    bottom *= row_weight1[:, None]
    bottom >>= 16
    top += bottom
    top += 2
    top >>= 2
    resized = np.clip(top, 0, 255, out=top).astype(np.uint8)
    return resized.reshape((height, width, channels) if pixels.ndim == 3 else (height, width))


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


def _horizontal(
    rows: np.ndarray, cols0: np.ndarray, cols1: np.ndarray, weight0: np.ndarray, weight1: np.ndarray
) -> np.ndarray:
    """The horizontal pass over the source rows the vertical pass reads (exact int32 sums)."""
    left = np.take(rows, cols0, axis=1).astype(np.int32)
    left *= weight0
    right = np.take(rows, cols1, axis=1).astype(np.int32)
    right *= weight1
    left += right
    return left

"""The fixed hostile corpus (tests/hostile): bodies, images, multipart forms and events with
wrong types at every level. Pure builders, no server; every case is small (well under the
6 MB limits) except the ones about the limits themselves."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from PIL import Image

GOOD_MASK = {"mask_name": "3M Aura 9205+ N95"}
GOOD_SENTIMENT = {"texts": ["I love this!", "This is terrible"]}
DEEP = 5000


def deep_array(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEEP) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# (id, body) JSON-ish bodies every JSON entry must refuse (or answer) without a fault. The
# {field} placeholder is the function's main field, {good} its known-good body.
def json_bodies(field: str, good: dict[str, Any]) -> list[tuple[str, bytes]]:
    good_bytes = json.dumps(good).encode()
    inner = json.dumps(field)
    cases: list[tuple[str, bytes]] = [
        ("deep-array-5000", deep_array()),
        ("deep-object-5000", deep_object()),
        ("deep-array-100000", deep_array(100_000)),
        ("deep-inside-field-900", b"{" + inner.encode() + b":" + deep_array(900) + b"}"),
        ("deep-inside-field-65", b"{" + inner.encode() + b":" + deep_array(65) + b"}"),
        ("deep-unbalanced", b"[" * 20_000),
        ("brackets-in-strings", json.dumps({field: ["[" * 10_000]}).encode()),
        ("invalid-utf8", b"{" + inner.encode() + b': ["\xff\xfe"]}'),
        ("overlong-utf8", b"{" + inner.encode() + b': ["\xc0\xaf"]}'),
        ("encoded-surrogate", b"{" + inner.encode() + b': ["\xed\xa0\x80"]}'),
        ("escaped-lone-surrogate", b"{" + inner.encode() + b': ["\\ud800"]}'),
        ("escaped-surrogate-key", b'{"\\udc00": 1, ' + inner.encode() + b': ["x"]}'),
        ("utf16-body", json.dumps(good).encode("utf-16")),
        ("bom-then-good", b"\xef\xbb\xbf" + good_bytes),
        ("huge-exponent", b"{" + inner.encode() + b": 1e999999}"),
        ("huge-negative-exponent-in-array", b"{" + inner.encode() + b": [-1e999999]}"),
        ("int-100000-digits", b"{" + inner.encode() + b": " + b"1" * 100_000 + b"}"),
        ("int-5000-digits", b"{" + inner.encode() + b": [" + b"9" * 5000 + b"]}"),
        ("int-400-digits", b"{" + inner.encode() + b": " + b"1" + b"0" * 400 + b"}"),
        ("nan", b"{" + inner.encode() + b": NaN}"),
        ("infinity-in-array", b"{" + inner.encode() + b": [Infinity]}"),
        ("minus-infinity-top", b"-Infinity"),
        ("nan-top", b"NaN"),
        ("duplicate-keys", b"{" + inner.encode() + b': ["a"], ' + inner.encode() + b': ["b"]}'),
        ("empty", b""),
        ("whitespace", b" \r\n\t "),
        ("null", b"null"),
        ("true", b"true"),
        ("number", b"42"),
        ("string", b'"hello"'),
        ("array", b"[1, 2, 3]"),
        ("empty-object", b"{}"),
        ("not-json", b"texts=I+love+this"),
        ("trailing-garbage", good_bytes + b" }"),
        ("two-documents", good_bytes + good_bytes),
        ("nul-bytes", b"\x00" * 64),
        ("long-string-1mb", json.dumps({field: ["x" * 1_000_000]}).encode()),
        ("many-items", json.dumps({field: ["a"] * 20_000}).encode()),
        ("many-keys", json.dumps({f"k{i}": i for i in range(20_000)}).encode()),
    ]
    cases += [
        (f"truncated-{cut}", good_bytes[:cut]) for cut in sorted({1, 2, len(good_bytes) // 2, len(good_bytes) - 1})
    ]
    for name, value in wrong_values():
        cases.append((f"field-{name}", json.dumps({field: value}).encode()))
        cases.append((f"item-{name}", json.dumps({field: [value]}).encode()))
    return cases


def wrong_values() -> list[tuple[str, Any]]:
    """Values of every JSON type, and the awkward ones of each."""
    return [
        ("null", None),
        ("true", True),
        ("false", False),
        ("zero", 0),
        ("negative", -1),
        ("float", 0.5),
        ("big-float", 1.7e308),
        ("tiny-float", 5e-324),
        ("big-int", 2**64),
        ("empty-string", ""),
        ("spaces", "   "),
        ("long-string", "y" * 100_000),
        ("unicode", "\u202e\u0000\ufffd🙂"),
        ("empty-array", []),
        ("empty-object", {}),
        ("nested", {"a": [{"b": None}]}),
        ("deep-50", _nested(50)),
    ]


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


# -- images ------------------------------------------------------------------------------------


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **params: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, image_format, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, *, rows: int = 1) -> bytes:
    """A PNG whose header declares width x height (8-bit grey), with `rows` rows of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * min(width, 1 << 20)
    data = zlib.compress(row * rows, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A complete bilevel PNG of width x height zeros: a few kB that decode to width*height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def png_text_bomb() -> bytes:
    """A tiny PNG with a zTXt chunk that inflates to 64 MB."""
    good = image_bytes("PNG", (8, 8))
    text = b"Comment\x00\x00" + zlib.compress(b"A" * (64 << 20), 9)
    return good[:33] + _png_chunk(b"zTXt", text) + good[33:]


def tiff_declaring(width: int, height: int) -> bytes:
    """A deflate TIFF of 1x1 whose ImageWidth/ImageLength tags are patched to width x height."""
    data = bytearray(image_bytes("TIFF", (1, 1), "L", compression="tiff_deflate"))
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset : offset + 2])
    for index in range(count):
        entry = offset + 2 + index * 12
        tag, kind = struct.unpack(order + "HH", data[entry : entry + 4])
        if tag in (256, 257):
            value = width if tag == 256 else height
            if kind == 3:
                struct.pack_into(order + "HH", data, entry + 8, min(value, 0xFFFF), 0)
            else:
                struct.pack_into(order + "I", data, entry + 8, value)
    return bytes(data)


def tiff_pages(count: int) -> bytes:
    buffer = io.BytesIO()
    first, *rest = [Image.new("L", (8, 8), 255) for _ in range(count)]
    first.save(buffer, "TIFF", save_all=True, append_images=rest)
    return buffer.getvalue()


def tiff_ifd_loop() -> bytes:
    """A two-page TIFF whose second page's "next IFD" points back at the first: endless pages."""
    data = bytearray(tiff_pages(2))
    order = "<" if data[:2] == b"II" else ">"
    (first,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[first : first + 2])
    (second,) = struct.unpack(order + "I", data[first + 2 + count * 12 : first + 6 + count * 12])
    (count2,) = struct.unpack(order + "H", data[second : second + 2])
    struct.pack_into(order + "I", data, second + 2 + count2 * 12, first)
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """A lossless WebP header declaring width x height (at most 16384 each), no real data."""
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 32
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(image_bytes("JPEG", (16, 16)))
    marker = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, marker + 5, height, width)
    return bytes(data)


def images() -> list[tuple[str, bytes]]:
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG")
    tiff, webp = image_bytes("TIFF"), image_bytes("WEBP")
    return [
        ("png-truncated", png[: len(png) // 2]),
        ("png-header-only", png[:33]),
        ("png-corrupt-idat", png[:40] + b"\x00" * 40 + png[80:]),
        ("jpeg-truncated", jpeg[: len(jpeg) // 2]),
        ("jpeg-signature-only", b"\xff\xd8\xff"),
        ("tiff-truncated", tiff[:20]),
        ("webp-truncated", webp[: len(webp) // 2]),
        ("png-declares-100000x100000", png_declaring(100_000, 100_000)),
        ("png-declares-2^31x1", png_declaring(2**31 - 1, 1)),
        ("png-declares-0x0", png_declaring(0, 0)),
        ("png-bomb-over-limit-7000x7000", png_bomb(7000, 7000)),
        ("png-bomb-under-limit-6000x6000", png_bomb(6000, 6000)),
        ("png-ztxt-bomb", png_text_bomb()),
        ("tiff-declares-65535x65535", tiff_declaring(65_535, 65_535)),
        ("tiff-declares-100000x1", tiff_declaring(100_000, 1)),
        ("tiff-25-pages", tiff_pages(25)),
        ("tiff-ifd-loop", tiff_ifd_loop()),
        ("webp-declares-16384x16384", webp_declaring(16_384, 16_384)),
        ("jpeg-declares-65535x65535", jpeg_declaring(65_535, 65_535)),
        ("gif", image_bytes("GIF")),
        ("bmp", image_bytes("BMP")),
        ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"),
        ("zeros", b"\x00" * 1000),
        ("text", b"this is not an image"),
    ]


# -- multipart ---------------------------------------------------------------------------------

BOUNDARY = "hostileboundary7MA4YWxkTrZu0gW"


def multipart(parts: list[tuple[str, bytes, str | None]], *, boundary: str = BOUNDARY, close: bool = True) -> bytes:
    """parts: (field name, content, filename or None)."""
    body = b""
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return body + (f"--{boundary}--\r\n".encode() if close else b"")


def multipart_cases(image: bytes) -> list[tuple[str, bytes, str]]:
    """(id, body, Content-Type) for POST /checkbox/predict."""
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    file_part = ("file", image, "scan.png")
    cases = [
        ("no-file-part", multipart([("conf", b"0.2", None)]), content_type),
        ("two-file-parts", multipart([file_part, file_part]), content_type),
        ("two-conf-parts", multipart([file_part, ("conf", b"0.2", None), ("conf", b"0.3", None)]), content_type),
        ("empty-file", multipart([("file", b"", "scan.png")]), content_type),
        ("oversized-part", multipart([("file", b"\x00" * 5_000_000, "big.png")]), content_type),
        ("seventeen-parts", multipart([(f"x{i}", b"1", None) for i in range(17)]), content_type),
        ("truncated", multipart([file_part])[:-30], content_type),
        ("no-closing-boundary", multipart([file_part], close=False), content_type),
        ("no-boundary-param", multipart([file_part]), "multipart/form-data"),
        ("wrong-boundary", multipart([file_part]), "multipart/form-data; boundary=other"),
        ("boundary-too-long", multipart([file_part], boundary="b" * 80), f"multipart/form-data; boundary={'b' * 80}"),
        ("no-disposition", f"--{BOUNDARY}\r\nX-Other: 1\r\n\r\nabc\r\n--{BOUNDARY}--\r\n".encode(), content_type),
        (
            "no-field-name",
            f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--{BOUNDARY}--\r\n".encode(),
            content_type,
        ),
        (
            "no-blank-line",
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"'.encode()
            + b"x" * 100
            + f"\r\n--{BOUNDARY}--\r\n".encode(),
            content_type,
        ),
        ("conf-not-a-number", multipart([file_part, ("conf", b"abc", None)]), content_type),
        ("conf-nan", multipart([file_part, ("conf", b"NaN", None)]), content_type),
        ("conf-huge", multipart([file_part, ("conf", b"1e999999", None)]), content_type),
        ("conf-invalid-utf8", multipart([file_part, ("conf", b"\xff\xfe", None)]), content_type),
        ("file-not-an-image", multipart([("file", b"hello", "a.txt")]), content_type),
        ("empty-body", b"", content_type),
        ("garbage", b"\x00\xff" * 100, content_type),
    ]
    return cases


# -- wrong types at every level of an event ----------------------------------------------------

REPLACEMENTS: list[tuple[str, Any]] = [
    ("null", None),
    ("true", True),
    ("int", 7),
    ("huge-float", 1e308),
    ("string", "x"),
    ("empty-array", []),
    ("object", {"k": "v"}),
    ("deep", _nested(80)),
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a decoded JSON value (containers and leaves), the root excluded."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*prefix, key)
        yield from paths(item, (*prefix, key))


def replaced(value: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    copy = json.loads(json.dumps(value))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    return copy


def every_level(event: Any, *, limit_paths: int | None = None) -> list[tuple[str, Any]]:
    """(id, event) with each path of `event` replaced by each wrong value in turn."""
    found = list(paths(event))[:limit_paths]
    return [
        (f"{'.'.join(map(str, path))}={name}", replaced(event, path, replacement))
        for path in found
        for name, replacement in REPLACEMENTS
    ]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

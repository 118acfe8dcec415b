"""The multipart/form-data parser, on bodies as real clients write them (urllib3, which requests
uses; a browser-style body; hand-made edge cases of RFC 2046's syntax)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3 import encode_multipart_formdata

from checkbox.multipart import boundary_of, parse_form_data
from lambda_common.errors import ValidationError
from tests.support.events import multipart


def test_a_body_built_by_urllib3_as_requests_sends_it() -> None:
    image = os.urandom(50_000)
    body, content_type = encode_multipart_formdata(
        {"file": ("scan.jpg", image, "image/jpeg"), "conf": "0.2", "iou": "0.5"}
    )
    parts = parse_form_data(body, content_type)
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("file", "scan.jpg", "image/jpeg"),
        ("conf", None, None),
        ("iou", None, None),
    ]
    assert parts[0].content == image
    assert (parts[1].content, parts[2].content) == (b"0.2", b"0.5")


def test_a_browser_style_body() -> None:
    body, content_type = multipart(
        {"conf": "0.3", "file": ("form.png", b"\x89PNG\r\n\x1a\n" + b"\r\n--" * 50, "image/png")}
    )
    parts = parse_form_data(body, content_type)
    assert [p.name for p in parts] == ["conf", "file"]
    assert parts[1].content == b"\x89PNG\r\n\x1a\n" + b"\r\n--" * 50  # CRLF and dashes inside a part are data


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=3000), conf=st.text(alphabet="0123456789.", max_size=8))
def test_any_file_content_round_trips(content: bytes, conf: str) -> None:
    body, content_type = encode_multipart_formdata(
        {"file": ("x.bin", content, "application/octet-stream"), "conf": conf}
    )
    parts = parse_form_data(body, content_type)
    assert parts[0].content == content and parts[1].content == conf.encode()


def test_preamble_padding_epilogue_and_quoted_boundary() -> None:
    body = (
        b"This is the preamble, to be ignored.\r\n"
        b"--b0und4ry \t\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a b.png"\r\n'
        b"\r\n"
        b"PIXELS\r\n"
        b"--b0und4ry--\r\n"
        b"and an epilogue"
    )
    (part,) = parse_form_data(body, 'multipart/form-data; boundary="b0und4ry"')
    assert (part.name, part.filename, part.content) == ("file", "a b.png", b"PIXELS")


def test_a_part_without_content_type_and_an_rfc2231_filename() -> None:
    body = (
        b"--XyZ\r\n"
        b"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%A9t%C3%A9.png\r\n"
        b"\r\n"
        b"data\r\n"
        b"--XyZ--\r\n"
    )
    (part,) = parse_form_data(body, "multipart/form-data; boundary=XyZ")
    assert (part.filename, part.content_type, part.content) == ("été.png", None, b"data")


def test_an_empty_part_body() -> None:
    body = b'--XyZ\r\nContent-Disposition: form-data; name="conf"\r\n\r\n\r\n--XyZ--\r\n'
    (part,) = parse_form_data(body, "multipart/form-data; boundary=XyZ")
    assert part.content == b""


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"--XyZ\r\n", "multipart/form-data", "has no boundary parameter"),
        (b"--XyZ\r\n", "multipart/form-data; boundary=" + "x" * 71, "RFC 2046 allows 70"),
        (b"just some bytes", "multipart/form-data; boundary=XyZ", "does not contain the boundary"),
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\nDATA',
            "multipart/form-data; boundary=XyZ",
            "truncated: its closing boundary is missing",
        ),
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\nDATA\r\n--XyZ--',
            "multipart/form-data; boundary=XyZ",
            "no blank line after its headers",
        ),
        (
            b"--XyZ\r\nContent-Type: image/png\r\n\r\nDATA\r\n--XyZ--",
            "multipart/form-data; boundary=XyZ",
            "no 'Content-Disposition: form-data'",
        ),
        (
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nDATA\r\n--XyZ--",
            "multipart/form-data; boundary=XyZ",
            "no field name",
        ),
        (b"--XyZjunk\r\n\r\nDATA\r\n--XyZ--", "multipart/form-data; boundary=XyZ", "not followed by CRLF"),
    ],
    ids=[
        "no-boundary",
        "long-boundary",
        "no-delimiter",
        "truncated",
        "no-blank-line",
        "no-disposition",
        "no-name",
        "junk-after-boundary",
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_form_data(body, content_type)


def test_too_many_parts_are_refused() -> None:
    body, content_type = multipart({f"field{i}": "x" for i in range(17)})
    with pytest.raises(ValidationError, match="more than 16 parts"):
        parse_form_data(body, content_type)


def test_boundary_of_reads_the_parameter_case_insensitively() -> None:
    assert boundary_of("Multipart/Form-Data; Boundary=abc; charset=utf-8") == "abc"

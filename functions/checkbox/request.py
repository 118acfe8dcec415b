"""`POST /predict` requests: the body, its content type, the image and the thresholds.

Accepted bodies (the Content-Type header decides):
  multipart/form-data     fields `file` (the image), optional `conf` and `iou`
  application/json        {"image": "<base64 of the file>", "conf": 0.25, "iou": 0.45}
                          (conf, iou optional; a data: URL prefix is tolerated), or
                          {"s3_key": "<the key POST /uploads gave>", "conf": ..., "iou": ...}
                          for a scan uploaded to S3 (exactly one of image and s3_key;
                          the object itself is read by uploads.py)
  image/*, application/octet-stream
                          the image file itself; conf and iou in the query string
`conf` and `iou` missing from the body fall back to the query string (?conf=0.2&iou=0.5),
then to DEFAULT_CONF and DEFAULT_IOU. Both must be numbers strictly between 0 and 1.

API Gateway hands binary bodies (the API declares multipart/form-data and image/* binary)
to Lambda base64-encoded with isBase64Encoded true; the size limit applies to the body as
the client sent it, and is checked on the encoded length before anything is decoded.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# pybase64 (SIMD) decodes a 300 dpi scan's base64 in a tenth of a millisecond where the standard
# library's validating b64decode takes 4.5 ms per 1.8 MB (its strict check is a regex over the
# whole text); the same answers and errors (binascii.Error, ValueError) for the same inputs.
import pybase64

from checkbox.multipart import parse_form_data
from lambda_common.errors import ValidationError
from lambda_common.json_input import loads

FILE_FIELD = "file"
IMAGE_KEY = "image"
S3_KEY = "s3_key"
CONF = "conf"
IOU = "iou"
JSON_EXAMPLE = '{"image": "<base64 of the image file>", "conf": 0.25}'
S3_KEY_EXAMPLE = '{"s3_key": "<the s3_key POST /uploads returned>", "conf": 0.25}'
ACCEPTED = (
    f"multipart/form-data with a '{FILE_FIELD}' field, application/json such as {JSON_EXAMPLE},"
    " or the image itself (image/png, image/jpeg, image/tiff, image/webp)"
)


@dataclass(frozen=True, kw_only=True)
class RequestLimits:
    max_body_bytes: int
    default_conf: float
    default_iou: float


@dataclass(frozen=True, kw_only=True)
class PredictRequest:
    image: bytes  # empty when the image is in S3 (s3_key)
    conf: float
    iou: float
    source: str  # "multipart" | "json" | "image" | "s3": how the image was sent
    filename: str | None = None
    s3_key: str | None = None  # the uploaded object to read (its shape is checked by uploads.py)


def body_bytes(event: Mapping[str, Any], *, max_bytes: int) -> bytes:
    """The request body as the client sent it (base64 undone), refused when over the limit."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ValidationError("the event's 'body' must be a string (text, or base64 with isBase64Encoded true)")
    if event.get("isBase64Encoded"):
        decoded_size = len(body) // 4 * 3 - body[-2:].count("=") if len(body) % 4 == 0 else len(body) * 3 // 4
        _check_size(decoded_size, max_bytes)
        try:
            return pybase64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("the request body is marked base64-encoded but is not valid base64") from None
    data = body.encode("utf-8", "surrogateescape")
    _check_size(len(data), max_bytes)
    return data


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ValidationError(
            f"the request body is {size:,} bytes; the limit is {max_bytes:,} bytes: send a smaller image"
            " (a 300 dpi JPEG scan is well under it; base64 in JSON adds a third)"
        )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_predict(
    body: bytes, *, content_type: str | None, query: Mapping[str, str] | None, limits: RequestLimits
) -> PredictRequest:
    """The prediction request in `body`, whatever of the accepted forms it takes."""
    query = query or {}
    kind = media_type(content_type)
    if kind == "multipart/form-data":
        return _from_form_data(body, content_type or "", query, limits)
    if kind == "application/json" or kind.endswith("+json"):
        return _from_json(body, query, limits)
    if kind.startswith("image/") or kind == "application/octet-stream":
        if not body:
            raise ValidationError(f"the request body is empty: send the image file itself as the body ({kind})")
        return PredictRequest(
            image=body,
            conf=threshold(CONF, query.get(CONF), limits.default_conf),
            iou=threshold(IOU, query.get(IOU), limits.default_iou),
            source="image",
        )
    if not kind:
        raise ValidationError(f"the request has no Content-Type header: send {ACCEPTED}")
    raise ValidationError(f"Content-Type {kind!r} is not accepted: send {ACCEPTED}")


def _from_form_data(body: bytes, content_type: str, query: Mapping[str, str], limits: RequestLimits) -> PredictRequest:
    if not body:
        raise ValidationError(f"the request body is empty: send the image in the multipart field '{FILE_FIELD}'")
    parts = parse_form_data(body, content_type)
    fields: dict[str, list[Any]] = {}
    for part in parts:
        fields.setdefault(part.name, []).append(part)
    for name, found in fields.items():
        if name in (FILE_FIELD, CONF, IOU) and len(found) > 1:
            raise ValidationError(f"the multipart field '{name}' is sent {len(found)} times: send it once")
    if FILE_FIELD not in fields:
        sent = ", ".join(repr(name) for name in fields) or "none"
        raise ValidationError(
            f"no '{FILE_FIELD}' field in the multipart body (fields sent: {sent}): send the image as"
            f" '{FILE_FIELD}', e.g. curl -F {FILE_FIELD}=@scan.jpg -F conf=0.2"
        )
    (file_part,) = fields[FILE_FIELD]
    if not file_part.content:
        raise ValidationError(f"the multipart field '{FILE_FIELD}' is empty: attach the image file")
    return PredictRequest(
        image=file_part.content,
        conf=threshold(CONF, _form_text(fields, CONF) or query.get(CONF), limits.default_conf),
        iou=threshold(IOU, _form_text(fields, IOU) or query.get(IOU), limits.default_iou),
        source="multipart",
        filename=file_part.filename,
    )


def _form_text(fields: Mapping[str, list[Any]], name: str) -> str | None:
    if name not in fields:
        return None
    try:
        return fields[name][0].content.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValidationError(f"the multipart field '{name}' must be a number between 0 and 1, as text") from None


def _from_json(body: bytes, query: Mapping[str, str], limits: RequestLimits) -> PredictRequest:
    payload = loads(body, example=JSON_EXAMPLE)
    if not isinstance(payload, dict):
        raise ValidationError(f"the JSON body must be an object such as {JSON_EXAMPLE}")
    if (IMAGE_KEY in payload) == (S3_KEY in payload):
        sent = "both" if IMAGE_KEY in payload else "neither"
        raise ValidationError(
            f"send exactly one of '{IMAGE_KEY}' and '{S3_KEY}' ({sent} sent): {JSON_EXAMPLE}, or for a scan"
            f" uploaded through POST /uploads {S3_KEY_EXAMPLE}"
        )
    conf = threshold(CONF, payload.get(CONF, query.get(CONF)), limits.default_conf)
    iou = threshold(IOU, payload.get(IOU, query.get(IOU)), limits.default_iou)
    if S3_KEY in payload:
        key = payload[S3_KEY]
        if not isinstance(key, str) or not key:
            raise ValidationError(f"'{S3_KEY}' must be the s3_key string POST /uploads returned")
        return PredictRequest(image=b"", s3_key=key, conf=conf, iou=iou, source="s3")
    return PredictRequest(image=decode_base64_image(payload[IMAGE_KEY]), conf=conf, iou=iou, source="json")


def decode_base64_image(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValidationError(f"'{IMAGE_KEY}' must be a string holding the image file in base64")
    text = value.strip()
    if text.startswith("data:"):  # a data: URL, as browsers' FileReader.readAsDataURL gives
        header, comma, text = text.partition(",")
        if not comma or not header.endswith(";base64"):
            raise ValidationError(f"'{IMAGE_KEY}' is a data: URL without ';base64,': send the image in base64")
    try:
        data = pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:  # base64 wrapped in lines (as `base64` prints it)
            data = pybase64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                f"'{IMAGE_KEY}' is not valid base64: send the image file's bytes base64-encoded"
            ) from None
    if not data:
        raise ValidationError(f"'{IMAGE_KEY}' is empty: send the image file's bytes base64-encoded")
    return data


def threshold(name: str, value: Any, default: float) -> float:
    """A conf or iou value: a number (or numeric text) strictly between 0 and 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError(f"'{name}' must be a number strictly between 0 and 1, e.g. {default}")
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer beyond a double's range
        raise ValidationError(f"'{name}' must be a number strictly between 0 and 1, got {str(value)[:30]!r}") from None
    if not math.isfinite(number) or not 0.0 < number < 1.0:
        raise ValidationError(f"'{name}' must be strictly between 0 and 1, got {str(value)[:30]}")
    return number


BINARY_MEDIA_PREFIXES = ("multipart/", "image/", "application/octet-stream")


def explain_text_body(
    error: ValidationError, *, body: bytes, event: Mapping[str, Any], content_type: str | None
) -> ValidationError:
    """`error`, or, when a binary body API Gateway did not base64-encode reached us as text (its
    bytes mangled), the same message saying how to fix the API."""
    if not body or event.get("isBase64Encoded") or not media_type(content_type).startswith(BINARY_MEDIA_PREFIXES):
        return error
    return ValidationError(
        f"{error.message} (the {media_type(content_type)} body arrived as text, not base64: the API must"
        " declare multipart/form-data and image/* as binary media types)"
    )

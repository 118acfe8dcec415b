"""Untrusted JSON, decoded and checked once for every function.

- `loads(body)`: an HTTP request body (bytes or text) -> the decoded value, or a
  ValidationError saying what to fix. Whatever the body, nothing else escapes: no
  RecursionError (depth is bounded before the decoder runs), no ValueError from Python's
  int-string conversion limit, no UnicodeDecodeError.
- `check_decoded(value)`: a value someone else decoded (a direct invoke's event, which
  Lambda's runtime decodes with the standard `json` module) -> ValidationError unless the
  code after it can walk, re-encode and answer it safely.
- `encoded_size(value)`: a checked value's size as compact UTF-8 JSON (how clients budget
  their batches).

What is refused, with the place it was found (e.g. ``texts[3]``):
- nesting deeper than `MAX_DEPTH` arrays/objects (no request of any function needs more
  than a handful; Python's own recursion limit is near 1000);
- NaN, Infinity and -Infinity (not JSON, though Python's decoder accepts them), and numbers
  no double can hold (1e999999, 10**400): every consumer reads numbers as doubles;
- a key sent twice in one object (which one would win differs between parsers);
- text that is not UTF-8, and strings holding an unpaired surrogate (``"\\ud800"``), which
  cannot be encoded in any answer;
- an empty body.

Standard library only: the ZIP function imports this at cold start (`re` and `math` are
loaded by `json` anyway).
"""

from __future__ import annotations

import itertools
import json
import math
import re

from lambda_common.errors import ValidationError

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 64
# The largest magnitude a double holds: ~1.8e308, so an integer has at most 309 digits.
_MAX_INT_DIGITS = 309
_FLOAT_MAX = 1.7976931348623157e308
_SHOWN_CHARS = 40  # how much of a caller's key or number an error message repeats

# A JSON string token (the unrolled form: linear, no backtracking), and every byte but the
# four structural brackets. Brackets left after removing the strings are the nesting.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# '[' and '{' -> +1, ']' and '}' -> -1 (0xff read as a signed byte), for a running sum in C.
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class _Refused(Exception):
    """Raised from inside the decoder's hooks; becomes the ValidationError of `loads`."""


def loads(
    body: bytes | str | None, *, what: str = "the request body", example: str | None = None, max_depth: int = MAX_DEPTH
) -> Any:
    """The JSON value of `body`; ValidationError("<what> ...: <how to fix>") for anything else.

    `example` completes "send a JSON object such as ..." in the messages where it helps."""
    send = f"send a JSON object such as {example}" if example else "send a JSON object"
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else (body or b"")
    if not data.strip():
        raise ValidationError(f"{what} is empty: {send}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"{what} is not valid JSON: it is not UTF-8 text (byte 0x{data[error.start]:02x} at offset"
            f" {error.start}): send JSON encoded as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")  # a byte order mark, as some editors save UTF-8
    depth = nesting_depth(data, stop_above=max_depth)
    if depth > max_depth:
        raise ValidationError(
            f"{what} is nested too deeply: more than {max_depth} levels of arrays and objects; {send}"
        )
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_object_without_duplicates,
        )
    except _Refused as refusal:
        raise ValidationError(f"{what} {refusal}") from None
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except (RecursionError, ValueError, MemoryError):  # not expected past the checks above
        raise ValidationError(f"{what} is not JSON this function can read: {send}") from None
    _check_strings_and_depth(value, what=what, max_depth=max_depth)
    return value


def check_decoded(value: Any, *, what: str = "the event", max_depth: int = MAX_DEPTH) -> None:
    """ValidationError unless `value` (already decoded from JSON) is nested at most `max_depth`
    deep, holds only finite numbers a double can hold, and only strings that are valid Unicode.
    Iterative: a structure nested thousands deep is refused, never a RecursionError."""
    _check_strings_and_depth(value, what=what, max_depth=max_depth, numbers=True)


def encoded_size(value: Any) -> int:
    """`value` as compact UTF-8 JSON, in bytes, the way the clients encode a request. The value
    must have passed `check_decoded` (or `loads`)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))


def nesting_depth(data: bytes, *, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in the JSON text `data` (brackets inside strings do
    not count), at C speed. With `stop_above`, any answer above it may stand for "deeper".
    Meaningful for valid JSON; for anything else a bound the decoder will refuse anyway."""
    if stop_above is not None and data.count(b"[") + data.count(b"{") <= stop_above:
        return 0  # cannot be deeper than the number of brackets that open
    brackets = _STRING_TOKEN.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = memoryview(brackets.translate(_DEPTH_STEPS)).cast("b")
    return max(0, max(itertools.accumulate(steps)))


# -- the decoder's hooks -----------------------------------------------------------------------


def _refuse_constant(name: str) -> float:
    raise _Refused(f"holds {name}, which is not a JSON number: send finite numbers only")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _Refused(f"holds the number {_shown(literal)}, out of range: numbers must fit a double (about ±1.8e308)")
    return number


def _bounded_int(literal: str) -> int:
    digits = len(literal) - literal.startswith("-")
    if digits > _MAX_INT_DIGITS or abs(number := int(literal)) > _FLOAT_MAX:
        raise _Refused(
            f"holds a number of {digits} digits ({_shown(literal)}), out of range: numbers must fit a double"
            " (about ±1.8e308)"
        )
    return number


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"has the key {_shown(key)!r} more than once in one object: send each key once")
            seen.add(key)
    return result


# -- the walk after decoding -------------------------------------------------------------------


def _check_strings_and_depth(value: Any, *, what: str, max_depth: int, numbers: bool = False) -> None:
    """Every string valid Unicode, nesting at most `max_depth`, and (`numbers`) every number
    finite and within a double's range. Containers are walked with a stack, not recursion."""
    if not isinstance(value, (dict, list)):
        _check_scalar(value, (), what=what, numbers=numbers)
        return
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while stack:
        container, depth, path = stack.pop()
        if depth > max_depth:
            raise ValidationError(
                f"{what} is nested too deeply: more than {max_depth} levels of arrays and objects (at {_path(path)})"
            )
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in items:
            if isinstance(key, str) and not _is_unicode(key):
                raise ValidationError(
                    f"{what} has a key with an unpaired surrogate (\\ud800-\\udfff) in {_path(path)}:"
                    " keys must be valid Unicode text"
                )
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1, (*path, key)))
            elif not isinstance(item, (str, bool)) and item is not None and not numbers:
                continue  # numbers decoded by `loads` are already checked
            else:
                _check_scalar(item, (*path, key), what=what, numbers=numbers)


def _check_scalar(value: Any, path: tuple[Any, ...], *, what: str, numbers: bool) -> None:
    if isinstance(value, str):
        if not _is_unicode(value):
            raise ValidationError(
                f"{_path(path, what)} holds an unpaired surrogate (\\ud800-\\udfff): send valid Unicode text"
            )
    elif numbers and isinstance(value, float) and not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        raise ValidationError(f"{_path(path, what)} is {shown}, which JSON cannot carry: send finite numbers only")
    elif numbers and isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        raise ValidationError(f"{_path(path, what)} is out of range: numbers must fit a double (about ±1.8e308)")


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path(path: tuple[Any, ...], whole: str = "the top level") -> str:
    """A place in a decoded value as a caller writes it: "texts[3] of the event"."""
    if not path:
        return whole
    shown = ""
    for part in path:
        if isinstance(part, int):
            shown += f"[{part}]"
        elif part.isidentifier():
            shown += f".{part}" if shown else part
        else:
            shown += f"[{_shown(part)!r}]"
    shown = shown if len(shown) <= 120 else shown[:117] + "..."
    return f"{shown} of {whole}" if whole != "the top level" else shown


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."

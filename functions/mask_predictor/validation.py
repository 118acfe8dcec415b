"""Validation of a prediction request (`{"mask_name": ...}` or `{"mask_names": [...]}`).

The same rules apply to a direct invoke payload and to an HTTP body. Every rejection is a
ValidationError whose message names the field, what is wrong and what to send instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from lambda_common.errors import ValidationError
from lambda_common.json_types import PYTHON_NAMES
from lambda_common.json_types import type_name as _type_name
from mask_predictor.scheme import tokenize

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SINGLE_KEY = "mask_name"
BATCH_KEY = "mask_names"
EXAMPLE_NAME = "3M Aura 9205+ N95"


class PredictionRequest:
    __slots__ = ("names", "is_batch")

    def __init__(self, *, names: tuple[str, ...], is_batch: bool) -> None:
        self.names = names
        self.is_batch = is_batch  # answered with {"results", "count"} rather than one result


def type_name(value: object) -> str:
    """The caller's name for a value's type in this function's messages: 'int', 'null', 'list', 'object'..."""
    return _type_name(value, PYTHON_NAMES)


def parse_prediction_request(
    payload: Mapping[str, Any], *, max_batch_names: int, max_name_chars: int
) -> PredictionRequest:
    has_single = SINGLE_KEY in payload
    has_batch = BATCH_KEY in payload
    if has_single and has_batch:
        raise ValidationError(f"send either {SINGLE_KEY!r} (one name) or {BATCH_KEY!r} (a list of names), not both")
    if has_single:
        name = payload[SINGLE_KEY]
        check_name(name, field=SINGLE_KEY, max_chars=max_name_chars)
        return PredictionRequest(names=(name,), is_batch=False)
    if has_batch:
        names = payload[BATCH_KEY]
        if not isinstance(names, list):
            raise ValidationError(
                f"{BATCH_KEY} must be a list of strings, got {type_name(names)};"
                f" for one name send {{{SINGLE_KEY!r}: ...}} or a one-element list"
            )
        if len(names) > max_batch_names:
            raise ValidationError(
                f"{BATCH_KEY} has {len(names)} names; the limit is {max_batch_names} per request:"
                f" split the list into batches of at most {max_batch_names}"
            )
        for index, name in enumerate(names):
            check_name(name, field=f"{BATCH_KEY}[{index}]", max_chars=max_name_chars)
        return PredictionRequest(names=tuple(names), is_batch=True)
    present = ", ".join(repr(key) for key in list(payload)[:5]) or "no keys"
    raise ValidationError(
        f"request needs {SINGLE_KEY!r} (one name) or {BATCH_KEY!r} (a list of names), found"
        f" {present}; example: {{{SINGLE_KEY!r}: {EXAMPLE_NAME!r}}}"
    )


def check_name(name: object, *, field: str, max_chars: int) -> None:
    """Raise ValidationError unless `name` is a taggable product name."""
    if not isinstance(name, str):
        raise ValidationError(f"{field} must be a string, got {type_name(name)}")
    if len(name) > max_chars:
        raise ValidationError(
            f"{field} is {len(name)} characters long; the limit is {max_chars}: send the product name only"
        )
    if not name.strip():
        raise ValidationError(f"{field} is empty or only whitespace; send a product name such as {EXAMPLE_NAME!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(
            f"{field} is not valid Unicode text (unpaired surrogate at character {error.start}); send the name as UTF-8"
        ) from None
    if not tokenize(name):
        raise ValidationError(
            f"{field} has no words: it holds only separators (spaces, commas, parentheses);"
            f" send a product name such as {EXAMPLE_NAME!r}"
        )

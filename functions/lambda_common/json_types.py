"""The caller's name for a decoded JSON value's type, for error messages ("got array").

One function, two vocabularies: JSON's ("number", "array", "boolean"), which every function
uses, and PYTHON_NAMES ("int", "list", "bool"), which the mask predictor's messages have always
used and its callers see (kept so those messages stay as they are). Standard library only,
nothing imported: the ZIP function imports it.
"""

from __future__ import annotations

# Checked in order (bool before int: a bool is an int); anything else is named by its class.
# Each type with its JSON name and its Python name, so the two vocabularies never disagree on order.
_TYPE_NAMES: tuple[tuple[type, str, str], ...] = (
    (type(None), "null", "null"),
    (bool, "boolean", "bool"),
    (int, "number", "int"),
    (float, "number", "float"),
    (str, "string", "string"),
    (list, "array", "list"),
    (dict, "object", "object"),
)
JSON_NAMES = tuple((kind, json_name) for kind, json_name, _ in _TYPE_NAMES)
PYTHON_NAMES = tuple((kind, python_name) for kind, _, python_name in _TYPE_NAMES)


def type_name(value: object, names: tuple[tuple[type, str], ...] = JSON_NAMES) -> str:
    """The name of a decoded value's type, as a caller would call it (JSON_NAMES by default)."""
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__

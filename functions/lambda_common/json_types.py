"""The caller's name for a decoded JSON value's type, for error messages ("got array").

One function, two vocabularies: JSON's ("number", "array", "boolean"), which every function
uses, and PYTHON_NAMES ("int", "list", "bool"), which the mask predictor's messages have always
used and its callers see (kept so those messages stay as they are). Standard library only,
nothing imported: the ZIP function imports it.
"""

from __future__ import annotations

# Checked in order (bool before int: a bool is an int); anything else is named by its class.
JSON_NAMES = (
    (type(None), "null"),
    (bool, "boolean"),
    (int, "number"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)
PYTHON_NAMES = (
    (type(None), "null"),
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "string"),
    (list, "list"),
    (dict, "object"),
)


def type_name(value: object, names: tuple[tuple[type, str], ...] = JSON_NAMES) -> str:
    """The name of a decoded value's type, as a caller would call it (JSON_NAMES by default)."""
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__

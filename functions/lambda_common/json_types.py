"""The caller's name for a decoded JSON value's type, for error messages ("got array")."""

from __future__ import annotations


def type_name(value: object) -> str:
    """The JSON name of a decoded value's type, as a caller would call it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__

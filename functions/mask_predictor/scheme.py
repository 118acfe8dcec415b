"""The labelling scheme (shared/mask-labels.md): how a name splits into tokens, and the labels.

Training, evaluation and the function all import this module, so a token and a label mean
the same thing everywhere.
"""

from __future__ import annotations

import re

# Whitespace, parentheses and commas separate tokens and are dropped; everything else
# (`9205+`, `w/`, `S/M`, `Dr.`) stays inside its token.
TOKEN_PATTERN = re.compile(r"[^\s(),]+")

# Fixed order: responses list components in this order and model.json records it.
LABELS: tuple[str, ...] = (
    "brand",
    "model",
    "filter_type",
    "size",
    "color",
    "style",
    "strap",
    "valved",
    "misc",
)


def tokenize(name: str) -> list[str]:
    """The tokens of a name, in order (an empty list when it holds only separators)."""
    return TOKEN_PATTERN.findall(name)

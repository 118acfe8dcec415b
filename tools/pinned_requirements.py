"""Reading pinned requirements files the way the image builds install them."""

from __future__ import annotations

import re
from pathlib import Path

_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[\w,]+\])?==([0-9][0-9A-Za-z.+!-]*)")


def distribution_name(name: str) -> str:
    """PEP 503 normalised: 'Typing_Extensions' and 'typing-extensions' are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(path: Path) -> dict[str, str]:
    """Normalised name -> version of every line; an unpinned line is a ValueError.
    `-r other.txt` includes are skipped (their file is read on its own)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = _PIN.fullmatch(line)
        if match is None:
            raise ValueError(f"{path.name}: {line!r} is not pinned as name==version")
        pins[distribution_name(match.group(1))] = match.group(2)
    return pins

"""Sample request files for the printed examples: a scanned form for the checkbox detector.

Written at each start (deterministic, a fraction of a second): a synthetic A4 form at 150 dpi
with checked and unchecked boxes, as JPEG, the way scanners send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.checkbox_form import encode, synthetic_form

FORM_SIZE = (1240, 1754)  # A4 at 150 dpi


@dataclass(frozen=True)
class Samples:
    checkbox_form: Path


def write_samples(directory: Path) -> Samples:
    directory.mkdir(parents=True, exist_ok=True)
    form, _ = synthetic_form(size=FORM_SIZE)
    path = directory / "form.jpg"
    path.write_bytes(encode(form, "JPEG"))
    return Samples(checkbox_form=path)

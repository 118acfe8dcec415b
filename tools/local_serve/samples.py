"""Sample request files for the printed examples: a scanned form for the checkbox detector.

Copied at each start into the serve folder: fixtures/checkbox/sample_form.jpg, an A4 form at
150 dpi with checked and unchecked boxes among text, tables and look-alikes, drawn by
training/checkbox/synthetic_forms.py from a seed no training run used
(training/checkbox/parity_reference.py), as JPEG, the way scanners send it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from stacks.common.paths import REPO_ROOT

SAMPLE_FORM = REPO_ROOT / "fixtures" / "checkbox" / "sample_form.jpg"


@dataclass(frozen=True)
class Samples:
    checkbox_form: Path


def write_samples(directory: Path) -> Samples:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "form.jpg"
    shutil.copyfile(SAMPLE_FORM, path)
    return Samples(checkbox_form=path)

"""A tiny training data set (paths and commands: tests/training/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A small valid data file (enough names for 2 folds and a held-out split)."""
    rows = [
        ("3M Aura 9205+ N95", "brand model model filter_type"),
        ("3M 8210 N95", "brand model filter_type"),
        ("3M 8511 N95 Cool Flow Valve", "brand model filter_type valved valved valved"),
        ("Moldex 2200 N95", "brand model filter_type"),
        ("Moldex 2300 N95 with Exhalation Valve", "brand model filter_type misc valved valved"),
        ("Honeywell H910 Plus", "brand model model"),
        ("Honeywell H801 N95", "brand model filter_type"),
        ("BNX H95 (Black, Medium)", "brand model color size"),
        ("BNX H95 (White, Large)", "brand model color size"),
        ("Powecom KN95 Earloop Mask White", "brand filter_type strap misc color"),
        ("Powecom KN95 Mask, Black", "brand filter_type misc color"),
        ("Zimi ZM9233 w/ Headstraps", "brand model misc strap"),
        ("Zimi ZM9232 N95", "brand model filter_type"),
        ("Flo Mask Pro Small", "brand brand model size"),
        ("Flo Mask Pro Large", "brand brand model size"),
        ("Dräger X-plore 1720 V FFP2", "brand model model valved filter_type"),
        ("Dräger X-plore 1730 FFP3", "brand model model filter_type"),
        ("Gerson 1730 N95 Respirator", "brand model filter_type misc"),
        ("Gerson 2130 N95 Respirator, 20 Pack", "brand model filter_type misc misc misc"),
        ("Medline N95 Respirator, Regular", "brand filter_type misc size"),
    ]
    path = tmp_path / "masks.tsv"
    lines = ["name\tlabels\tsource", "# a comment line", ""]
    lines += [f"{name}\t{labels}\tretail-listing" for name, labels in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

"""The labelled mask names: loading, validation and the deterministic held-out split.

File format (training/mask_predictor/data/README.md): UTF-8 TSV with the header
`name<TAB>labels<TAB>source`, `#` comment lines and blank lines ignored, labels space-separated,
exactly one per token of `scheme.tokenize(name)`.

The held-out split is a function of the name alone (a stable hash), so adding or removing
other names never moves a name between training and held-out, and nothing is random.
An optional synthetic file (same format) only ever adds to the training split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mask_predictor.scheme import LABELS, tokenize

HEADER = ("name", "labels", "source")
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_DATA_PATH = DATA_DIR / "masks.tsv"
DEFAULT_SYNTHETIC_PATH = DATA_DIR / "synthetic.tsv"
HELD_OUT_PERCENT = 20
_MAX_REPORTED_PROBLEMS = 20


class DatasetError(ValueError):
    """The data file breaks the format or the labelling scheme (every problem is listed)."""


@dataclass(frozen=True, kw_only=True)
class LabelledName:
    name: str
    tokens: tuple[str, ...]
    labels: tuple[str, ...]
    source: str
    line_number: int


@dataclass(frozen=True, kw_only=True)
class Split:
    train: tuple[LabelledName, ...]  # real names of the training split, then synthetic ones
    held_out: tuple[LabelledName, ...]
    synthetic_names: int  # how many of `train` came from the synthetic file
    synthetic_dropped: int  # synthetic names left out because masks.tsv has them already


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_labelled_names(path: Path) -> tuple[LabelledName, ...]:
    """Every labelled name in the file, in file order; DatasetError lists all problems found."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 ({error})") from None

    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != HEADER:
        found = lines[0] if lines else "an empty file"
        raise DatasetError(f"{path}:1: header must be {chr(9).join(HEADER)!r}, found {found!r}")

    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    names: list[LabelledName] = []
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}:{line_number}"
        columns = line.split("\t")
        if len(columns) != 3:
            problems.append(f"{where}: expected 3 tab-separated columns, found {len(columns)}")
            continue
        name, label_text, source = columns
        tokens = tuple(tokenize(name))
        labels = tuple(label_text.split())
        if not tokens:
            problems.append(f"{where}: name {name!r} has no tokens")
            continue
        if len(labels) != len(tokens):
            problems.append(f"{where}: {len(tokens)} tokens {list(tokens)} but {len(labels)} labels {list(labels)}")
            continue
        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            problems.append(f"{where}: unknown label(s) {unknown}; labels are {list(LABELS)}")
            continue
        if not source.strip():
            problems.append(f"{where}: empty source")
            continue
        if name in first_line_of:
            problems.append(f"{where}: duplicate name {name!r} (first on line {first_line_of[name]})")
            continue
        first_line_of[name] = line_number
        names.append(LabelledName(name=name, tokens=tokens, labels=labels, source=source, line_number=line_number))

    if problems:
        shown = problems[:_MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        raise DatasetError(
            f"{path}: {len(problems)} problem(s):\n  "
            + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
        )
    if not names:
        raise DatasetError(f"{path}: no labelled names")
    return tuple(names)


def _name_hash(name: str, *, purpose: str) -> int:
    """A stable 64-bit number per name (never Python's salted hash())."""
    digest = hashlib.sha256(f"{purpose}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def is_held_out(name: str) -> bool:
    return _name_hash(name, purpose="held-out") % 100 < HELD_OUT_PERCENT


def fold_of(name: str, *, folds: int) -> int:
    """The cross-validation fold of a training name (independent of the held-out hash)."""
    return _name_hash(name, purpose="fold") % folds


def split(names: Sequence[LabelledName], *, synthetic: Sequence[LabelledName] = ()) -> Split:
    held_out = tuple(item for item in names if is_held_out(item.name))
    train = tuple(item for item in names if not is_held_out(item.name))
    real_names = {item.name for item in names}
    # A synthetic copy of a held-out name would leak it into training; a copy of a training
    # name would count it twice. Real labels always win.
    extra = tuple(item for item in synthetic if item.name not in real_names)
    return Split(
        train=train + extra,
        held_out=held_out,
        synthetic_names=len(extra),
        synthetic_dropped=len(synthetic) - len(extra),
    )

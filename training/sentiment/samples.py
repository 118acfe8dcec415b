"""Sample texts for export validation: a few hundred texts of varied length, deterministically.

Built from the committed fragments in data/validation_fragments.txt: single fragments (a word
to a sentence), short reviews of a few sentences, paragraphs, and a few texts long enough to be
truncated at any BERT-sized maximum length, so that validation covers padding, truncation and
every batch shape the function will see. Pure Python: no torch, importable anywhere.
"""

from __future__ import annotations

import random
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
FRAGMENTS_FILE = DATA_DIR / "validation_fragments.txt"

DEFAULT_SAMPLE_COUNT = 300
DEFAULT_SEED = 20240601

# Share of the samples per length class: (share, fewest fragments, most fragments).
# The rest (about 30%) are single fragments: a word to a sentence.
_COMBINED_CLASSES: tuple[tuple[float, int, int], ...] = (
    (0.40, 2, 4),  # a short review
    (0.20, 5, 15),  # a paragraph
    (0.10, 40, 90),  # far beyond 512 tokens: exercises truncation
)


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of a data file, '#' comment lines skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def validation_texts(count: int = DEFAULT_SAMPLE_COUNT, *, seed: int = DEFAULT_SEED) -> list[str]:
    """`count` distinct texts of varied length, the same ones on every run for a given seed."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    fragments = list(dict.fromkeys(read_lines(FRAGMENTS_FILE)))
    rng = random.Random(seed)
    singles = fragments[:]
    rng.shuffle(singles)
    texts = singles[: max(0, count - sum(round(count * share) for share, _, _ in _COMBINED_CLASSES))]
    seen = set(texts)
    for share, fewest, most in _COMBINED_CLASSES:
        wanted = round(count * share)
        while wanted > 0:
            text = " ".join(rng.choice(fragments) for _ in range(rng.randint(fewest, most)))
            if text not in seen:
                seen.add(text)
                texts.append(text)
                wanted -= 1
    while len(texts) < count:  # more singles asked for than there are fragments
        text = " ".join(rng.sample(fragments, rng.randint(2, 4)))
        if text not in seen:
            seen.add(text)
            texts.append(text)
    rng.shuffle(texts)
    return texts[:count]

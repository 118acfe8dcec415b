"""An offline, lexicon-based sentiment analyser: the sentiment client's fallback.

It needs nothing but the standard library and the lexicon shipped next to it
(``clients/sentiment_lexicon.tsv``, written by hand for this repository), so it works with no
network, no AWS credentials and no model. It answers in the sentiment function's shape,
``{"sentiment": "positive" | "negative", "score": float in [0.5, 1]}``, so callers cannot tell
the two apart except by quality (and by the ``"source"`` key the client adds).

How a text is scored (a small, readable cousin of VADER's rules):

1. Tokens: lower-cased words (apostrophes kept: ``isn't``), the lexicon's emoticons and
   emoji, and the punctuation that ends a clause (``. , ; : ! ?``).
2. Every sentiment word contributes its valence (-4..4, from the lexicon).
3. A booster right before it ("very", "extremely"; dampeners "slightly", "somewhat" are
   negative boosters) moves its magnitude by the booster's delta (0.8 of it one word further).
   A word that is both a booster and a sentiment word ("pretty", "super") is a booster when a
   sentiment word follows it, a sentiment word otherwise.
4. A negator ("not", "never", "no", any "...n't") up to three tokens before it, in the same
   clause, flips it and weakens it (x -0.6): "not good" is negative, "not bad" mildly positive.
   Emoticons and emoji are neither boosted nor negated: "never again :(" stays negative.
5. A word in capitals in a text that is not all capitals is emphasised (+0.6 magnitude).
6. With "but" (or "however"...), what follows weighs 1.5x and what precedes 0.5x.
7. Each "!" (up to 3) adds 0.3 in the direction of the total.
8. The total ``t`` maps to a probability-like score: ``0.5 + 0.5 * |t| / sqrt(t^2 + 15)``:
   one "good" gives about 0.72, "love it, amazing, perfect" about 0.96; a text without any
   sentiment word gets 0.5 and the positive label (a coin toss, said as such).

Usage::

    analyser = LexiconAnalyser.default()
    analyser.analyse(["I love this!", "not good at all"])
    # [{"sentiment": "positive", "score": 0.82}, {"sentiment": "negative", "score": 0.67}]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent / "sentiment_lexicon.tsv"

NEGATION_SCALAR = -0.6
NEGATION_WINDOW = 3  # tokens before a sentiment word that a negator reaches
SECOND_BOOSTER_FACTOR = 0.8  # a booster two tokens before counts this much
CAPS_EMPHASIS = 0.6
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
EXCLAMATION_BOOST = 0.3
MAX_EXCLAMATIONS = 3
NORMALISATION_ALPHA = 15.0
SCORE_DECIMALS = 4

CLAUSE_PUNCTUATION = frozenset(".,;:!?")
_WORD = r"[^\W_]+(?:'[^\W_]+)*"
_PUNCTUATION = r"[.,;:!?]"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the line."""


@dataclass(frozen=True)
class Lexicon:
    """Valences of sentiment words, booster deltas, negators and contrast words."""

    valences: dict[str, float]
    boosters: dict[str, float] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    contrasts: frozenset[str] = frozenset()

    @classmethod
    def from_file(cls, path: Path = DEFAULT_LEXICON_PATH) -> Lexicon:
        return cls.parse(Path(path).read_text(encoding="utf-8").splitlines(), source=str(path))

    @classmethod
    def parse(cls, lines: Iterable[str], *, source: str = "lexicon") -> Lexicon:
        """Lines of ``kind<TAB>term[<TAB>value]`` (see sentiment_lexicon.tsv's header)."""
        valences: dict[str, float] = {}
        boosters: dict[str, float] = {}
        negators: set[str] = set()
        contrasts: set[str] = set()
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            kind, term = parts[0], parts[1].strip().lower() if len(parts) > 1 else ""
            if not term:
                raise LexiconError(f"{source}:{number}: want 'kind<TAB>term[<TAB>value]', got {raw!r}")
            if kind in ("word", "booster"):
                if len(parts) != 3:
                    raise LexiconError(f"{source}:{number}: a {kind} needs a value: {raw!r}")
                try:
                    value = float(parts[2])
                except ValueError:
                    raise LexiconError(f"{source}:{number}: {parts[2]!r} is not a number") from None
                if kind == "word" and not -4.0 <= value <= 4.0:
                    raise LexiconError(f"{source}:{number}: valence {value} is outside [-4, 4]")
                table = valences if kind == "word" else boosters
                if term in table:
                    raise LexiconError(f"{source}:{number}: {term!r} is listed twice as a {kind}")
                table[term] = value
            elif kind in ("negator", "contrast") and len(parts) == 2:
                (negators if kind == "negator" else contrasts).add(term)
            else:
                raise LexiconError(f"{source}:{number}: unknown entry {raw!r}")
        if not valences:
            raise LexiconError(f"{source}: no sentiment words")
        return cls(
            valences=valences,
            boosters=boosters,
            negators=frozenset(negators),
            contrasts=frozenset(contrasts),
        )


class LexiconAnalyser:
    """Scores texts with a Lexicon. Stateless after construction: safe to share between threads."""

    def __init__(
        self,
        lexicon: Lexicon,
        *,
        positive_label: str = "positive",
        negative_label: str = "negative",
    ) -> None:
        self.lexicon = lexicon
        self.positive_label = positive_label
        self.negative_label = negative_label
        # Non-word terms (emoticons, emoji) are matched as whole tokens, longest first.
        symbols = sorted(
            (term for term in lexicon.valences if not re.fullmatch(_WORD, term)),
            key=len,
            reverse=True,
        )
        self._symbols = frozenset(symbols)
        alternatives = [re.escape(symbol) for symbol in symbols] + [_WORD, _PUNCTUATION]
        self._token_pattern = re.compile("|".join(alternatives))

    @classmethod
    def default(cls, **labels: str) -> LexiconAnalyser:
        """The analyser with the lexicon shipped in this package."""
        return cls(Lexicon.from_file(DEFAULT_LEXICON_PATH), **labels)

    def analyse(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """``{"sentiment", "score"}`` per text, in order."""
        return [self.analyse_one(text) for text in texts]

    def analyse_one(self, text: str) -> dict[str, Any]:
        total = self.polarity(text)
        if total == 0:
            return {"sentiment": self.positive_label, "score": 0.5}
        confidence = abs(total) / math.sqrt(total * total + NORMALISATION_ALPHA)
        return {
            "sentiment": self.positive_label if total > 0 else self.negative_label,
            "score": round(0.5 + 0.5 * confidence, SCORE_DECIMALS),
        }

    def tokens(self, text: str) -> list[str]:
        """The tokens as written (case kept); compare them lower-cased."""
        return self._token_pattern.findall(text.translate(_APOSTROPHES))

    def polarity(self, text: str) -> float:
        """The text's summed valence: > 0 positive, < 0 negative, 0 no sentiment found."""
        originals = self.tokens(text)
        tokens = [token.lower() for token in originals]
        lexicon = self.lexicon
        letters = [token for token in originals if token.isalpha()]
        shouting_text = bool(letters) and all(token.isupper() for token in letters)

        contrast_at = max((index for index, token in enumerate(tokens) if token in lexicon.contrasts), default=-1)
        total = 0.0
        for index, token in enumerate(tokens):
            valence = lexicon.valences.get(token)
            if valence is None or self._acts_as_booster(tokens, index):
                continue
            if not shouting_text and originals[index].isupper() and len(originals[index]) > 1:
                valence += math.copysign(CAPS_EMPHASIS, valence)
            if token not in self._symbols:  # an emoticon or emoji says what it means
                valence = self._boosted(tokens, index, valence)
                if self._negated(tokens, index):
                    valence *= NEGATION_SCALAR
            if contrast_at >= 0:
                valence *= CONTRAST_AFTER if index > contrast_at else CONTRAST_BEFORE
            total += valence
        if total:
            exclamations = min(MAX_EXCLAMATIONS, tokens.count("!"))
            total += math.copysign(EXCLAMATION_BOOST * exclamations, total)
        return total

    def _acts_as_booster(self, tokens: list[str], index: int) -> bool:
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        return tokens[index] in self.lexicon.boosters and following in self.lexicon.valences

    def _boosted(self, tokens: list[str], index: int, valence: float) -> float:
        for distance, factor in ((1, 1.0), (2, SECOND_BOOSTER_FACTOR)):
            position = index - distance
            if position < 0 or tokens[position] in CLAUSE_PUNCTUATION:
                break
            delta = self.lexicon.boosters.get(tokens[position])
            if delta is not None:
                magnitude = max(0.0, abs(valence) + delta * factor)
                valence = math.copysign(magnitude, valence)
        return valence

    def _negated(self, tokens: list[str], index: int) -> bool:
        for position in range(index - 1, max(-1, index - 1 - NEGATION_WINDOW), -1):
            token = tokens[position]
            if token in CLAUSE_PUNCTUATION or token in self.lexicon.contrasts:
                return False
            if token in self.lexicon.negators or token.endswith("n't"):
                return True
        return False

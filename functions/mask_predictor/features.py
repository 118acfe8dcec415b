"""CRF features of a mask name: the one definition used by training and by the function.

Training (training/mask_predictor) and inference both call `name_features`, so the features a
model was trained on and the features it is asked about cannot drift apart. Any change to what
this module emits must bump FEATURE_VERSION: model.json records the version a model was
trained with and the predictor refuses a model trained with another one.

Features are plain "key=value" strings (python-crfsuite accepts `list[list[str]]`, each string
an attribute of weight 1), which is the cheapest form to build and to hand to CRFsuite. What
depends only on the token itself is computed once per distinct token and cached; only the
position, separator and neighbour combinations are assembled per name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mask_predictor.scheme import TOKEN_PATTERN

FEATURE_VERSION = 1

# Bounded caches: a long-lived Lambda environment sees arbitrary names, so the memory a
# cache may take has to be capped (8k tokens of ~40 short strings each: a few MB).
_TOKEN_CACHE_SIZE = 8192
_NEIGHBOUR_CACHE_SIZE = 4 * _TOKEN_CACHE_SIZE

# Certification classes: N95, N-95, KN95, KF94, FFP2, P100, R95, P2, P3, DS2, KN-95...
# Matched on the case-folded token without hyphens, so labels never hinge on case alone.
_FILTER_CLASS = re.compile(r"(?:kn|kf|ffp|ds|n|r|p)\d{1,3}[a-z]?")

# Small lexicons from the labelling scheme: words that name a size, colour, strap or valve
# whatever product they appear in. They let the model label such words even when the
# training data never showed that exact word next to that brand.
_LEXICONS: dict[str, frozenset[str]] = {
    "size": frozenset(
        "xxs xs s m l xl xxl xxxl s/m m/l l/xl xs/s small medium large regular standard"
        " kids kid child children youth adult adults size petite".split()
    ),
    "color": frozenset(
        "black white blue grey gray navy pink beige red green yellow orange purple brown"
        " tan khaki teal charcoal silver gold camo camouflage olive cream ivory lavender"
        " mint coral onyx arctic graphite midnight sand".split()
    ),
    "strap": frozenset(
        "headstraps headstrap head straps strap headband headbands earloops earloop ear"
        " loops loop ear-loop ear-loops strapless".split()
    ),
    "valved": frozenset("valve valved valveless exhalation exhale non-valved unvalved".split()),
    "style": frozenset(
        "cup duckbill flat-fold fold-flat flat fold trifold tri-fold bifold boat 3d half"
        " full facepiece elastomeric cone half-mask full-face".split()
    ),
}

# Which of a token's own features its neighbours see (prefixed with their offset).
_NEAR_NEIGHBOUR_KEYS = ("w=", "n=", "sh=", "lex=", "filter", "digits", "title", "upper")
_FAR_NEIGHBOUR_KEYS = ("w=", "lex=", "filter")

_POSITION = ("pos=0", "pos=1", "pos=2", "pos=3")
_REVERSE_POSITION = ("rpos=0", "rpos=1", "rpos=2")


def _shape(token: str) -> str:
    """Character classes: '9205+' -> 'dddd+', 'KN95' -> 'XXdd', 'Flat-fold' -> 'Xxxx-xxxx'."""
    return "".join(
        "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else char for char in token
    )


def _short_shape(shape: str) -> str:
    """Runs collapsed: 'dddd+' -> 'd+', 'Xxxx-xxxx' -> 'Xx-x'."""
    collapsed: list[str] = []
    for char in shape:
        if not collapsed or collapsed[-1] != char:
            collapsed.append(char)
    return "".join(collapsed)


@lru_cache(maxsize=_TOKEN_CACHE_SIZE)
def token_features(token: str) -> tuple[str, ...]:
    """What a token says about itself, whatever its position (cached per distinct token)."""
    lower = token.lower()
    normal = lower.replace("-", "").replace(".", "").replace("_", "")
    shape = _shape(token)
    features = [
        "bias",
        "w=" + lower,
        "n=" + normal,
        "sh=" + shape[:8],
        "ssh=" + _short_shape(shape),
        "len=" + str(min(len(token), 8)),
        "p1=" + lower[:1],
        "p2=" + lower[:2],
        "p3=" + lower[:3],
        "s1=" + lower[-1:],
        "s2=" + lower[-2:],
        "s3=" + lower[-3:],
    ]
    if token.isdigit():
        features.append("digits")
    elif any(char.isdigit() for char in token):
        features.append("hasdigit")
    if token.isalpha():
        features.append("alpha")
    if token.isupper():
        features.append("upper")
    elif token.istitle():
        features.append("title")
    elif token.islower():
        features.append("lower")
    for char, feature in (("-", "hyphen"), ("/", "slash"), ("+", "plus"), (".", "dot"), ("&", "amp")):
        if char in token:
            features.append(feature)
    if _FILTER_CLASS.fullmatch(normal):
        features.append("filter")
    for label, words in _LEXICONS.items():
        if lower in words or normal in words:
            features.append("lex=" + label)
    return tuple(features)


@lru_cache(maxsize=_NEIGHBOUR_CACHE_SIZE)
def _neighbour_features(token: str, prefix: str) -> tuple[str, ...]:
    keys = _FAR_NEIGHBOUR_KEYS if prefix in ("-2:", "+2:") else _NEAR_NEIGHBOUR_KEYS
    return tuple(prefix + feature for feature in token_features(token) if feature.startswith(keys))


def _separator(text: str) -> str:
    """The separators between two tokens: '_' for whitespace only, else the punctuation kept."""
    if text == " ":
        return "_"
    punctuation = "".join(char for char in text if char in "(),")
    return punctuation or "_"


def name_features(name: str) -> tuple[list[str], list[list[str]]]:
    """The name's tokens (as scheme.tokenize gives them) and one feature list per token.

    Besides each token and its neighbours, the separators around it count: commas and
    parentheses are dropped by tokenization, but sizes and colours typically follow one.
    """
    tokens: list[str] = []
    separators: list[str] = []  # separators[i]: text before token i; one more after the last
    end = 0
    for match in TOKEN_PATTERN.finditer(name):
        start = match.start()
        separators.append(_separator(name[end:start]) if start > end else "^")
        tokens.append(match.group())
        end = match.end()
    separators.append(_separator(name[end:]) + "$" if end < len(name) else "$")
    if separators[0] != "^":  # the name starts with separators, e.g. "(3M) ..."
        separators[0] = "^" + separators[0]

    lowered = [token.lower() for token in tokens]
    count = len(tokens)
    sequence: list[list[str]] = []
    after_comma = False
    parentheses = 0
    for index, token in enumerate(tokens):
        before = separators[index]
        after_comma = after_comma or "," in before
        parentheses += before.count("(") - before.count(")")
        features = list(token_features(token))
        features.append("sep<" + before)
        features.append("sep>" + separators[index + 1])
        features.append(_POSITION[index] if index < 4 else "pos=4+")
        from_end = count - 1 - index
        features.append(_REVERSE_POSITION[from_end] if from_end < 3 else "rpos=3+")
        if after_comma:
            features.append("aftercomma")
        if parentheses > 0:
            features.append("inparens")
        if index > 0:
            features.extend(_neighbour_features(tokens[index - 1], "-1:"))
            features.append("bi-1=" + lowered[index - 1] + "|" + lowered[index])
            if index > 1:
                features.extend(_neighbour_features(tokens[index - 2], "-2:"))
        else:
            features.append("BOS")
        if index < count - 1:
            features.extend(_neighbour_features(tokens[index + 1], "+1:"))
            features.append("bi+1=" + lowered[index] + "|" + lowered[index + 1])
            if index < count - 2:
                features.extend(_neighbour_features(tokens[index + 2], "+2:"))
        else:
            features.append("EOS")
        sequence.append(features)
    return tokens, sequence

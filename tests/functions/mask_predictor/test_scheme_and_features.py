"""Tokenization per shared/mask-labels.md, and the shared feature extraction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mask_predictor import features
from mask_predictor.features import FEATURE_VERSION, name_features, token_features
from mask_predictor.scheme import LABELS, tokenize


def test_nine_labels_in_the_fixed_order() -> None:
    assert LABELS == ("brand", "model", "filter_type", "size", "color", "style", "strap", "valved", "misc")


def test_separators_are_whitespace_parentheses_and_commas() -> None:
    assert tokenize("BNX H95 (Black, Medium)") == ["BNX", "H95", "Black", "Medium"]
    assert tokenize("Flo Mask Pro Small") == ["Flo", "Mask", "Pro", "Small"]
    assert tokenize("  3M\t8210\nN95,,()") == ["3M", "8210", "N95"]
    assert tokenize(" (,) ") == []


def test_everything_else_stays_inside_its_token() -> None:
    for token in ("9205+", "w/", "Flat-fold", "S/M", "X-plore", "Dr.", "9211+/37193", "3M™", "Dräger", "N-95"):
        assert tokenize(f"x {token} y") == ["x", token, "y"]


def test_scheme_examples_have_one_label_per_token() -> None:
    examples = {
        "3M Aura 9205+ N95": 4,
        "Zimi ZM9233 w/ Headstraps": 4,
        "Honeywell H910 Plus": 3,
        "Moldex 2300 N95 with Exhalation Valve": 6,
        "Flo Mask Pro Small": 4,
        "BNX H95 (Black, Medium)": 4,
        "3M 8511 N95 Cool Flow Valve Particulate Respirator": 8,
        "Powecom KN95 Earloop Mask White": 5,
    }
    for name, label_count in examples.items():
        assert len(tokenize(name)) == label_count, name


@given(st.text(max_size=120))
def test_feature_tokens_are_the_scheme_tokens(name: str) -> None:
    tokens, sequence = name_features(name)

    assert tokens == tokenize(name)
    assert len(sequence) == len(tokens)
    assert all(isinstance(f, str) for token_features_ in sequence for f in token_features_)


def test_case_and_hyphen_variants_share_features() -> None:
    """Labels must not depend on case alone: N95, n95 and N-95 share their normal form."""
    shared = set(token_features("N95")) & set(token_features("n95")) & set(token_features("N-95"))

    assert {"n=n95", "filter"} <= shared
    assert "w=n95" in set(token_features("N95")) & set(token_features("n95"))


def test_separators_and_position_are_features() -> None:
    _, sequence = name_features("BNX H95 (Black, Medium)")

    assert "BOS" in sequence[0] and "EOS" in sequence[-1]
    assert "sep<(" in sequence[2] and "inparens" in sequence[2]
    assert "sep<," in sequence[3] and "aftercomma" in sequence[3]
    assert "-1:w=h95" in sequence[2] and "+1:w=medium" in sequence[2]


def test_token_caches_are_bounded() -> None:
    """A long-lived environment sees unbounded distinct tokens; the caches must not grow forever."""
    assert token_features.cache_info().maxsize is not None
    assert features._neighbour_features.cache_info().maxsize is not None


def test_feature_version_is_a_positive_int() -> None:
    assert isinstance(FEATURE_VERSION, int) and FEATURE_VERSION >= 1

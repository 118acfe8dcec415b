"""The lexicon analyser on its own: offline, no AWS, no model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients.lexicon_analyser import DEFAULT_LEXICON_PATH, Lexicon, LexiconAnalyser, LexiconError


@pytest.fixture(scope="module")
def analyser() -> LexiconAnalyser:
    return LexiconAnalyser.default()


def sentiment(analyser: LexiconAnalyser, text: str) -> str:
    return str(analyser.analyse_one(text)["sentiment"])


def score(analyser: LexiconAnalyser, text: str) -> float:
    return float(analyser.analyse_one(text)["score"])


def test_the_shipped_lexicon_has_a_few_hundred_words_on_both_sides() -> None:
    lexicon = Lexicon.from_file(DEFAULT_LEXICON_PATH)

    positive = [word for word, valence in lexicon.valences.items() if valence > 0]
    negative = [word for word, valence in lexicon.valences.items() if valence < 0]
    assert len(positive) >= 150 and len(negative) >= 150
    assert {"not", "never", "no"} <= lexicon.negators
    assert lexicon.boosters["very"] > 0 > lexicon.boosters["slightly"]


CLEAR_TEXTS = {
    "positive": [
        "I love this!",
        "Absolutely wonderful, highly recommend.",
        "Great value and fast delivery :)",
        "The staff were friendly and the room was spotless.",
        "No problems at all, it works perfectly.",
        "Not bad at all.",
        "\U0001f44d",
    ],
    "negative": [
        "This is terrible",
        "Worst purchase ever, it broke after two days.",
        "The food was cold and the waiter was rude.",
        "Not good.",
        "I don't like it",
        "I don\u2019t recommend it",
        "It isn't worth the money.",
        "Never again :(",
    ],
}


@pytest.mark.parametrize(
    ("expected", "text"), [(expected, text) for expected, texts in CLEAR_TEXTS.items() for text in texts]
)
def test_clear_texts(analyser: LexiconAnalyser, expected: str, text: str) -> None:
    assert sentiment(analyser, text) == expected
    assert score(analyser, text) > 0.5


def test_negation_flips_and_weakens(analyser: LexiconAnalyser) -> None:
    assert sentiment(analyser, "good") == "positive"
    assert sentiment(analyser, "not good") == "negative"
    assert sentiment(analyser, "not very good") == "negative"
    assert score(analyser, "not good") < score(analyser, "good")
    assert sentiment(analyser, "bad") == "negative"
    assert sentiment(analyser, "not bad") == "positive"


def test_negation_stops_at_the_end_of_a_clause(analyser: LexiconAnalyser) -> None:
    assert sentiment(analyser, "Not what I expected. Great phone.") == "positive"
    assert sentiment(analyser, "I was not sure, but it is great") == "positive"


def test_intensifiers_strengthen_and_dampeners_weaken(analyser: LexiconAnalyser) -> None:
    assert score(analyser, "slightly good") < score(analyser, "good") < score(analyser, "very good")
    assert score(analyser, "very good") < score(analyser, "extremely good")
    assert score(analyser, "bad") < score(analyser, "really bad")
    assert sentiment(analyser, "really bad") == "negative"


def test_a_word_that_is_also_a_booster_boosts_only_before_a_sentiment_word(analyser: LexiconAnalyser) -> None:
    assert score(analyser, "pretty terrible") > score(analyser, "terrible")
    assert sentiment(analyser, "pretty terrible") == "negative"
    assert sentiment(analyser, "a pretty dress") == "positive"


def test_capitals_and_exclamation_marks_add_emphasis(analyser: LexiconAnalyser) -> None:
    assert score(analyser, "this is GREAT") > score(analyser, "this is great")
    assert score(analyser, "great!!") > score(analyser, "great")
    assert score(analyser, "THIS IS GREAT") == score(analyser, "this is great")  # all capitals: no emphasis


def test_what_follows_but_weighs_more(analyser: LexiconAnalyser) -> None:
    assert sentiment(analyser, "The food was great but the service was awful.") == "negative"
    assert sentiment(analyser, "The service was awful but the food was great.") == "positive"


def test_a_text_without_sentiment_is_a_coin_toss(analyser: LexiconAnalyser) -> None:
    assert analyser.analyse_one("The table is made of wood.") == {"sentiment": "positive", "score": 0.5}
    assert analyser.analyse_one("") == {"sentiment": "positive", "score": 0.5}


def test_stronger_evidence_gives_a_higher_score(analyser: LexiconAnalyser) -> None:
    assert score(analyser, "good") < score(analyser, "great") < score(analyser, "Love it, amazing, perfect")
    assert score(analyser, "Love it, amazing, perfect") < 1.0


def test_labels_are_configurable() -> None:
    analyser = LexiconAnalyser.default(positive_label="POSITIVE", negative_label="NEGATIVE")

    assert analyser.analyse(["great", "awful"]) == [
        {"sentiment": "POSITIVE", "score": score(analyser, "great")},
        {"sentiment": "NEGATIVE", "score": score(analyser, "awful")},
    ]


@given(st.text(max_size=300))
def test_any_text_gets_the_contract_shape(text: str) -> None:
    result = LexiconAnalyser.default().analyse_one(text)

    assert set(result) == {"sentiment", "score"}
    assert result["sentiment"] in ("positive", "negative")
    assert 0.5 <= result["score"] <= 1.0


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["word\tgood"], "needs a value"),
        (["word\tgood\tvery"], "not a number"),
        (["word\tgood\t5"], "outside"),
        (["word\tgood\t1", "word\tgood\t2"], "listed twice"),
        (["adjective\tgood\t1"], "unknown entry"),
        (["# only a comment"], "no sentiment words"),
    ],
)
def test_a_malformed_lexicon_is_refused_with_its_line(lines: list[str], problem: str) -> None:
    with pytest.raises(LexiconError, match=problem):
        Lexicon.parse(lines, source="test.tsv")

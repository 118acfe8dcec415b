"""Loading and validating the data file, and the deterministic split."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.helpers import DATA_PATH
from training.mask_predictor.dataset import (
    DatasetError,
    fold_of,
    is_held_out,
    load_labelled_names,
    split,
)

HEADER = "name\tlabels\tsource\n"


def write(tmp_path: Path, body: str, *, header: str = HEADER) -> Path:
    path = tmp_path / "data.tsv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_loads_names_tokens_labels_and_skips_comments(tiny_dataset: Path) -> None:
    names = load_labelled_names(tiny_dataset)

    assert len(names) == 20
    first = names[0]
    assert first.name == "3M Aura 9205+ N95"
    assert first.tokens == ("3M", "Aura", "9205+", "N95")
    assert first.labels == ("brand", "model", "model", "filter_type")
    assert first.line_number == 4


@pytest.mark.parametrize(
    ("body", "header", "message"),
    [
        ("3M 8210 N95\tbrand model filter_type\tx\n", "name,labels,source\n", "header must be"),
        ("3M 8210 N95\tbrand model filter_type\n", HEADER, ":2: expected 3 tab-separated columns, found 2"),
        ("3M 8210 N95\tbrand model\tx\n", HEADER, ":2: 3 tokens .* but 2 labels"),
        ("3M 8210 N95\tbrand model filter\tx\n", HEADER, r":2: unknown label\(s\) \['filter'\]"),
        (" ( , ) \t\tx\n", HEADER, "has no tokens"),
        ("3M 8210 N95\tbrand model filter_type\t \n", HEADER, "empty source"),
        (
            "3M 8210 N95\tbrand model filter_type\tx\n# c\n3M 8210 N95\tbrand model misc\tx\n",
            HEADER,
            ":4: duplicate name '3M 8210 N95' \\(first on line 2\\)",
        ),
    ],
)
def test_problems_name_the_line(tmp_path: Path, body: str, header: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_labelled_names(write(tmp_path, body, header=header))


def test_all_problems_are_listed(tmp_path: Path) -> None:
    path = write(tmp_path, "a b\tbrand\tx\nc d\tbrand\tx\n")

    with pytest.raises(DatasetError, match="2 problem"):
        load_labelled_names(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_labelled_names(tmp_path / "absent.tsv")


def test_committed_data_is_valid() -> None:
    assert len(load_labelled_names(DATA_PATH)) > 500


def test_held_out_split_is_stable_and_about_a_fifth() -> None:
    names = load_labelled_names(DATA_PATH)
    first, second = split(names), split(list(reversed(names)))

    assert {n.name for n in first.held_out} == {n.name for n in second.held_out}
    assert 0.15 <= len(first.held_out) / len(names) <= 0.25
    assert not {n.name for n in first.held_out} & {n.name for n in first.train}
    assert is_held_out("3M Aura 9205+ N95") == is_held_out("3M Aura 9205+ N95")


def test_folds_are_stable_and_cover_every_fold() -> None:
    names = [n.name for n in load_labelled_names(DATA_PATH)]

    assert {fold_of(name, folds=5) for name in names} == set(range(5))
    assert [fold_of(name, folds=5) for name in names] == [fold_of(name, folds=5) for name in names]


def test_synthetic_names_only_ever_train(tiny_dataset: Path, tmp_path: Path) -> None:
    real = load_labelled_names(tiny_dataset)
    held_out_name = next(item.name for item in real if is_held_out(item.name))
    synthetic_path = tmp_path / "synthetic.tsv"
    synthetic_path.write_text(
        HEADER
        + f"{held_out_name}\t{' '.join(['misc'] * len(held_out_name.split()))}\tsynthetic\n"
        + "Acme 1234 N95\tbrand model filter_type\tsynthetic\n",
        encoding="utf-8",
    )

    result = split(real, synthetic=load_labelled_names(synthetic_path))

    assert result.synthetic_names == 1 and result.synthetic_dropped == 1
    assert "Acme 1234 N95" in {n.name for n in result.train}
    assert "Acme 1234 N95" not in {n.name for n in result.held_out}
    assert result.held_out == split(real).held_out, "synthetic data never changes the held-out set"
    (kept,) = [n for n in result.train + result.held_out if n.name == held_out_name]
    assert kept.source != "synthetic", "the real labels win"

"""Pure logic, no network: which columns feed the model, and turning them into a float64 matrix
with errors that name the column and row (never the value)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_predict.features import feature_matrix, require_columns, resolve_feature_columns
from lambda_common.errors import ValidationError


def resolve(
    requested: tuple[str, ...] | None, names: tuple[str, ...] | None, count: int | None = None
) -> tuple[str, ...]:
    return resolve_feature_columns(
        requested, model_features=names, model_feature_count=count, model_uri="s3://mmm/x.skops"
    )


def test_the_models_names_are_used_and_its_order_wins() -> None:
    assert resolve(None, ("a", "b")) == ("a", "b")
    assert resolve(("b", "a"), ("a", "b")) == ("a", "b")
    assert resolve(("x", "y"), None, 2) == ("x", "y")
    assert resolve(("x", "y"), None, None) == ("x", "y")


def test_contradictions_are_explained() -> None:
    with pytest.raises(ValidationError, match="does not record the names of its features: pass feature_columns"):
        resolve(None, None, 3)
    with pytest.raises(ValidationError, match="it lacks 'b'; the model was not trained on 'c'"):
        resolve(("a", "c"), ("a", "b"))
    with pytest.raises(ValidationError, match="names 1 columns but the model s3://mmm/x.skops takes 2 features"):
        resolve(("a",), None, 2)


def test_missing_columns_are_all_named() -> None:
    require_columns(["id", "a", "b"], ["a", "b"], source="data")
    with pytest.raises(ValidationError, match="data has no column 'b', 'c' .*its columns are 'id', 'a'"):
        require_columns(["id", "a"], ["a", "b", "c"], source="data")


def test_text_and_numbers_become_one_float64_matrix() -> None:
    batch = pa.record_batch(
        {
            "t": pa.array([" 1.5", "2", "-3e2 "]),
            "i": pa.array([1, 2, 3], pa.int32()),
            "b": pa.array([True, False, True]),
            "f": pa.array([0.25, 0.5, 0.75], pa.float32()),
        }
    )
    matrix, converted = feature_matrix(batch, ("f", "t", "i", "b"), first_row=1)
    assert matrix.dtype == np.float64 and matrix.flags.c_contiguous
    np.testing.assert_array_equal(matrix, [[0.25, 1.5, 1, 1], [0.5, 2, 2, 0], [0.75, -300, 3, 1]])
    assert list(converted) == ["t"] and converted["t"].type == pa.float64()  # only text is replaced in the output


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "", "3"], "has no value in row 11"),
        (["1", "2", "NA"], "has no value in row 12"),
        (["1", "2", "null"], "has no value in row 12"),
        (["x1", "2", "3"], "holds text that is not a number in row 10"),
        (["1", "2", "1,5"], "holds text that is not a number in row 12"),
        (["1", "nan", "3"], "is NaN or infinite in row 11"),
        (["1", "2", "-inf"], "is NaN or infinite in row 12"),
        ([1.0, None, 3.0], "has no value in row 11"),
        ([1.0, 2.0, float("nan")], "is NaN or infinite in row 12"),
    ],
)
def test_bad_values_name_column_and_row(values: list[object], expected: str) -> None:
    batch = pa.record_batch({"ok": pa.array([1.0, 2.0, 3.0]), "feat": pa.array(values)})
    with pytest.raises(ValidationError) as raised:
        feature_matrix(batch, ("ok", "feat"), first_row=10)
    assert raised.value.message.startswith("feature column 'feat' ")
    assert expected in raised.value.message
    assert "x1" not in raised.value.message and "1,5" not in raised.value.message


def test_a_column_of_another_type_is_refused() -> None:
    batch = pa.record_batch({"when": pa.array([1, 2], pa.timestamp("s"))})
    with pytest.raises(ValidationError, match=r"feature column 'when' holds timestamp\[s\] values"):
        feature_matrix(batch, ("when",), first_row=1)


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=200),
    st.integers(min_value=0, max_value=199),
)
def test_the_first_bad_text_is_found_wherever_it_is(numbers: list[float], position: int) -> None:
    texts = [repr(number) for number in numbers]
    position %= len(texts)
    texts[position] = "oops"
    if position + 1 < len(texts):
        texts[-1] = "later oops"  # only the first is reported
    with pytest.raises(ValidationError, match=f"in row {position + 1}:"):
        feature_matrix(pa.record_batch({"f": pa.array(texts)}), ("f",), first_row=1)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_text_round_trips_to_the_same_floats(numbers: list[float]) -> None:
    matrix, _ = feature_matrix(pa.record_batch({"f": pa.array([repr(n) for n in numbers])}), ("f",), first_row=1)
    assert matrix[:, 0].tolist() == numbers

"""Feature columns of a record batch -> the float64 matrix a model is called with.

Which columns, in which order (`resolve_feature_columns`): the model's own feature names when
it has them, else the request's `feature_columns`. Their values (`feature_matrix`): numbers,
or text holding numbers (CSV reads everything as text); a missing, NaN, infinite or
non-numeric value is a 400 naming the column and the row (1-based, header not counted), never
the value itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lambda_common.errors import ValidationError

_MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "-nan", "null", "none"})


def resolve_feature_columns(
    requested: tuple[str, ...] | None,
    *,
    model_features: tuple[str, ...] | None,
    model_feature_count: int | None,
    model_uri: str,
) -> tuple[str, ...]:
    """The columns to feed the model, in the model's order."""
    if requested is None:
        if model_features is None:
            raise ValidationError(
                f"the model {model_uri} does not record the names of its features: pass feature_columns (the"
                " input columns in the order the model was trained on)"
            )
        return model_features
    if model_features is not None:
        missing = [name for name in model_features if name not in requested]
        extra = [name for name in requested if name not in model_features]
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"it lacks {_names(missing)}")
            if extra:
                problems.append(f"the model was not trained on {_names(extra)}")
            raise ValidationError(
                f"feature_columns do not match the features the model {model_uri} was trained on"
                f" ({_names(model_features)}): {'; '.join(problems)}. Leave feature_columns out to use the model's own"
            )
        return model_features  # the model's order, whatever order the request listed them in
    if model_feature_count is not None and len(requested) != model_feature_count:
        raise ValidationError(
            f"feature_columns names {len(requested)} columns but the model {model_uri} takes {model_feature_count} features"
        )
    return requested


def require_columns(available: Sequence[str], wanted: Sequence[str], *, source: str) -> None:
    """ValidationError naming every wanted column the input does not have."""
    missing = [name for name in wanted if name not in available]
    if missing:
        raise ValidationError(
            f"{source} has no column {_names(missing)} (a feature column); its columns are {_names(available, limit=50)}"
        )


def feature_matrix(
    batch: pa.RecordBatch, columns: tuple[str, ...], *, first_row: int, rows_name: str = "row"
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """(rows x features float64 matrix, {column: its float64 version} for columns that arrived as
    text, so the output carries numbers). `first_row` is the batch's first row number (1-based)."""
    matrix = np.empty((batch.num_rows, len(columns)), dtype=np.float64)
    converted: dict[str, pa.Array] = {}
    for index, name in enumerate(columns):
        array = batch.column(name)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        numeric = _numeric(array, name=name, first_row=first_row, rows_name=rows_name)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            converted[name] = numeric
        if numeric.null_count:
            row = first_row + pc.index(pc.is_null(numeric), True).as_py()
            raise ValidationError(f"feature column {name!r} has no value in {rows_name} {row}: every row needs one")
        values = numeric.to_numpy(zero_copy_only=False)
        finite = np.isfinite(values)
        if not finite.all():
            row = first_row + int(np.argmin(finite))
            raise ValidationError(
                f"feature column {name!r} is NaN or infinite in {rows_name} {row}: features must be finite numbers"
            )
        matrix[:, index] = values
    return matrix, converted


def _numeric(array: pa.Array, *, name: str, first_row: int, rows_name: str) -> pa.Array:
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(array)
        try:
            return pc.cast(text, pa.float64())
        except pa.ArrowInvalid:
            bad = _first_unparsable(text)
            value = text[bad].as_py()
            what = (
                "has no value" if value is None or value.lower() in _MISSING_TEXT else "holds text that is not a number"
            )
            raise ValidationError(
                f"feature column {name!r} {what} in {rows_name} {first_row + bad}: feature values must be numbers"
            ) from None
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
    ):
        return pc.cast(array, pa.float64())
    if pa.types.is_null(kind):
        raise ValidationError(f"feature column {name!r} has no value in {rows_name} {first_row}: every row needs one")
    raise ValidationError(f"feature column {name!r} holds {kind} values: feature values must be numbers")


def _first_unparsable(text: pa.Array) -> int:
    """The index of the first value pyarrow cannot cast to float64 (a binary search over
    prefixes: a few casts, whatever the batch size; only on the error path)."""
    good, bad = 0, len(text)  # text[:good] casts, text[:bad] does not
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            pc.cast(text.slice(0, middle), pa.float64())
            good = middle
        except pa.ArrowInvalid:
            bad = middle
    return bad - 1


def _names(names: Sequence[str], *, limit: int = 20) -> str:
    shown = ", ".join(repr(name) for name in list(names)[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")

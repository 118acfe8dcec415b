"""Parsing the events that ask for predictions into typed requests (pure; ValidationError says
what to fix). Location checks against the configuration happen where the request is run.

- direct invoke:   JobRequest.from_event   {"model_s3_uri", "data_s3_uri", "output_s3_uri", ...}
- plan_job:        PlanRequest.from_event  the state machine input (data_s3_uri | data_s3_prefix)
- Map batch:       MapBatch.from_event     {"Items": [...], "BatchInput": {...}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batch_predict.config import DEFAULT_PREDICTION_COLUMN
from batch_predict.formats import CSV, DataFormat, named_format
from lambda_common.errors import ValidationError
from lambda_common.json_types import type_name
from lambda_common.s3_uri import S3Location, S3Object, S3UriError

EXAMPLE = (
    '{"model_s3_uri": "s3://models/churn/model.skops", "data_s3_uri": "s3://data/in.csv",'
    ' "output_s3_uri": "s3://results/out.csv", "feature_columns": ["feature1", "feature2"]}'
)
CSV_ROWS = "csv_rows"
S3_OBJECTS = "s3_objects"
ITEM_KINDS = (CSV_ROWS, S3_OBJECTS)
MAX_COLUMN_NAME_CHARS = 256


@dataclass(frozen=True, kw_only=True)
class PredictionOptions:
    """What every kind of request says about the predictions themselves."""

    prediction_column: str = DEFAULT_PREDICTION_COLUMN
    feature_columns: tuple[str, ...] | None = None  # None: the model's own feature names
    include_probabilities: bool = False

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PredictionOptions:
        return cls(
            prediction_column=_column_name(event.get("prediction_column_name"), field="prediction_column_name"),
            feature_columns=feature_columns(event.get("feature_columns")),
            include_probabilities=_boolean(event, "include_probabilities"),
        )

    def as_batch_input(self) -> dict[str, Any]:
        return {
            "prediction_column_name": self.prediction_column,
            "feature_columns": list(self.feature_columns) if self.feature_columns is not None else None,
            "include_probabilities": self.include_probabilities,
        }


@dataclass(frozen=True, kw_only=True)
class JobRequest:
    """One input object -> one output object."""

    model: S3Object
    data: S3Object
    output: S3Object
    options: PredictionOptions = PredictionOptions()
    overwrite: bool = False

    @classmethod
    def from_event(cls, event: object) -> JobRequest:
        if not isinstance(event, dict):
            raise ValidationError(f"the event must be a JSON object such as {EXAMPLE}, got {type_name(event)}")
        missing = [field for field in ("model_s3_uri", "data_s3_uri", "output_s3_uri") if event.get(field) is None]
        if missing:
            raise ValidationError(
                f"missing {', '.join(repr(f) for f in missing)}: send a JSON object such as {EXAMPLE}"
            )
        return cls(
            model=object_uri(event["model_s3_uri"], field="model_s3_uri"),
            data=object_uri(event["data_s3_uri"], field="data_s3_uri"),
            output=object_uri(event["output_s3_uri"], field="output_s3_uri"),
            options=PredictionOptions.from_event(event),
            overwrite=_boolean(event, "overwrite"),
        )


@dataclass(frozen=True, kw_only=True)
class PlanRequest:
    """The state machine's input: one big CSV (rows in batches) or a prefix (one item per object)."""

    model: S3Object
    data: S3Object | None
    data_prefix: S3Location | None
    output_prefix: S3Location
    options: PredictionOptions
    output_format: DataFormat | None  # None: CSV rows -> csv; objects keep their own format

    @classmethod
    def from_event(cls, job: object) -> PlanRequest:
        if not isinstance(job, dict):
            raise ValidationError(f"'job' must be the state machine input (a JSON object), got {type_name(job)}")
        missing = [field for field in ("model_s3_uri", "output_s3_prefix") if job.get(field) is None]
        has_uri, has_prefix = job.get("data_s3_uri") is not None, job.get("data_s3_prefix") is not None
        if has_uri == has_prefix:
            missing.append(
                "exactly one of 'data_s3_uri' (one CSV file, predicted in batches of rows) or"
                " 'data_s3_prefix' (every object under it)"
            )
        if missing:
            raise ValidationError(f"the job is missing {', '.join(missing)}")
        output_format = job.get("output_format")
        return cls(
            model=object_uri(job["model_s3_uri"], field="model_s3_uri"),
            data=object_uri(job["data_s3_uri"], field="data_s3_uri") if has_uri else None,
            data_prefix=location_uri(job["data_s3_prefix"], field="data_s3_prefix") if has_prefix else None,
            output_prefix=location_uri(job["output_s3_prefix"], field="output_s3_prefix"),
            options=PredictionOptions.from_event(job),
            output_format=named_format(output_format, field="output_format") if output_format is not None else None,
        )


@dataclass(frozen=True, kw_only=True)
class MapBatch:
    """One Distributed Map batch (ItemBatcher shape)."""

    item_kind: str
    items: list[Any]
    model: S3Object
    output_prefix: S3Location
    options: PredictionOptions
    output_format: DataFormat | None
    data_prefix: S3Location | None  # s3_objects: the prefix the item keys are relative to

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> MapBatch:
        items, batch_input = event.get("Items"), event.get("BatchInput")
        if not isinstance(items, list):
            raise ValidationError(f"'Items' must be an array, got {type_name(items)}")
        if not isinstance(batch_input, dict):
            raise ValidationError(
                f"'BatchInput' must be the object plan_job returned as batch_input, got {type_name(batch_input)}"
            )
        kind = batch_input.get("item_kind")
        if kind not in ITEM_KINDS:
            raise ValidationError(f"BatchInput.item_kind must be one of {ITEM_KINDS}, got {str(kind)[:50]!r}")
        for field in ("model_s3_uri", "output_s3_prefix"):
            if batch_input.get(field) is None:
                raise ValidationError(f"BatchInput is missing {field!r}")
        output_format = batch_input.get("output_format")
        data_prefix = None
        if kind == S3_OBJECTS:
            data_prefix = _data_prefix(batch_input)
        return cls(
            item_kind=kind,
            items=items,
            model=object_uri(batch_input["model_s3_uri"], field="BatchInput.model_s3_uri"),
            output_prefix=location_uri(batch_input["output_s3_prefix"], field="BatchInput.output_s3_prefix"),
            options=PredictionOptions.from_event(batch_input),
            output_format=(
                named_format(output_format, field="BatchInput.output_format")
                if output_format is not None
                else (DataFormat(name=CSV) if kind == CSV_ROWS else None)
            ),
            data_prefix=data_prefix,
        )


def object_uri(value: object, *, field: str) -> S3Object:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string s3://bucket/key, got {type_name(value)}")
    try:
        return S3Object.parse(value.strip())
    except S3UriError as error:
        raise ValidationError(f"{field}: {error}") from None


def location_uri(value: object, *, field: str) -> S3Location:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string s3://bucket/prefix/, got {type_name(value)}")
    try:
        return S3Location.parse(value.strip(), require_slash=False)
    except S3UriError as error:
        raise ValidationError(f"{field}: {error}") from None


def feature_columns(value: object, *, field: str = "feature_columns") -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise ValidationError(
            f"{field} must be a non-empty array of column names (or left out to use the model's own), got"
            f" {type_name(value)}{' (empty)' if value == [] else ''}"
        )
    columns = tuple(_column_name(item, field=f"{field}[{index}]") for index, item in enumerate(value))
    duplicates = sorted({column for column in columns if columns.count(column) > 1})
    if duplicates:
        raise ValidationError(f"{field} names {', '.join(repr(c) for c in duplicates)} more than once")
    return columns


def _column_name(value: object, *, field: str) -> str:
    if value is None and field == "prediction_column_name":
        return DEFAULT_PREDICTION_COLUMN
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string, got {type_name(value)}")
    if len(value) > MAX_COLUMN_NAME_CHARS:
        raise ValidationError(f"{field} is longer than {MAX_COLUMN_NAME_CHARS} characters")
    return value


def _boolean(event: dict[str, Any], field: str) -> bool:
    value = event.get(field, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be true or false, got {type_name(value)}")
    return value


def _data_prefix(batch_input: dict[str, Any]) -> S3Location:
    """`data_prefix` as plan_job sends it (a key prefix beside `data_bucket`), or an s3:// URI."""
    prefix, bucket = batch_input.get("data_prefix"), batch_input.get("data_bucket")
    if isinstance(prefix, str) and prefix.startswith("s3://"):
        return location_uri(prefix, field="BatchInput.data_prefix")
    if not isinstance(bucket, str) or not isinstance(prefix, str):
        raise ValidationError("BatchInput needs 'data_bucket' and 'data_prefix' (a key prefix) for s3_objects items")
    return location_uri(f"s3://{bucket}/{prefix}", field="BatchInput.data_prefix")

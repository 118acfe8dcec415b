"""Large jobs through Step Functions: the plan step, and the Distributed Map's batches.

plan_job validates the whole job before any batch runs (locations, the model loads, the
feature columns, the CSV header) and tells the state machine how to split it:
- csv_rows: one plain .csv file, read by the Map's S3CsvItemReader; each batch of rows
  arrives as Items of {column: "text"} and is written to
  `output_s3_prefix/part-<sha256 of the items, 16 hex>.<ext>`: a retried batch rewrites its
  own part, never a duplicate;
- s3_objects: every object under a prefix (the Map's listing); each is predicted to
  `output_s3_prefix/<key relative to data_s3_prefix>` (with the extension of output_format
  when the job names one, else in its own format).
Batches always overwrite their outputs: a retry must be able to finish.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

from batch_predict.config import FunctionConfig
from batch_predict.features import require_columns
from batch_predict.formats import CSV, DataFormat, detect_format, replace_extension
from batch_predict.locations import require_inside, require_location_inside
from batch_predict.model_store import ModelStore
from batch_predict.multipart import MultipartUpload
from batch_predict.predict import require_probabilities, resolve_features, run_job, write_predictions
from batch_predict.readers import read_csv_header
from batch_predict.requests import CSV_ROWS, S3_OBJECTS, JobRequest, MapBatch, PlanRequest, PredictionOptions
from batch_predict.s3_objects import any_object_under, head
from lambda_common.errors import ValidationError
from lambda_common.json_types import type_name
from lambda_common.s3_uri import S3Object, S3UriError

PART_DIGEST_HEX = 16


def plan_job(request: PlanRequest, *, s3: Any, models: ModelStore, config: FunctionConfig) -> dict[str, Any]:
    require_location_inside(
        request.output_prefix, config.results_location, field="output_s3_prefix", purpose="write results to"
    )
    model = models.get(request.model)
    require_probabilities(model, request.options)
    features = resolve_features(model, request.options)
    options = PredictionOptions(
        prediction_column=request.options.prediction_column,
        feature_columns=features,
        include_probabilities=request.options.include_probabilities,
    )
    batch_input: dict[str, Any] = {
        "model_s3_uri": request.model.uri,
        "output_s3_prefix": request.output_prefix.uri,
        **options.as_batch_input(),
    }
    if request.data is not None:
        data = request.data
        require_inside(data, config.data_location, field="data_s3_uri", purpose="read data from")
        data_format = detect_format(data.key, field="data_s3_uri")
        if data_format.name != CSV or data_format.gzip:
            raise ValidationError(
                f"data_s3_uri {data.uri} is {data_format.label}: splitting one file into batches of rows works for"
                " plain .csv files only (Step Functions reads them row by row). Pass data_s3_prefix instead (the"
                " prefix holding the file or files: one batch per object)"
            )
        columns = read_csv_header(s3, head(s3, data, field="data_s3_uri"), gzip=False)
        require_columns(columns, features, source=f"data_s3_uri {data.uri}")
        if options.prediction_column in columns:
            raise ValidationError(
                f"the input already has a column {options.prediction_column!r}: choose another prediction_column_name"
            )
        output_format = request.output_format or DataFormat(name=CSV)
        batch_input.update(
            item_kind=CSV_ROWS, output_format=output_format.label, data_bucket=data.bucket, data_prefix=""
        )
        return {"item_kind": CSV_ROWS, "data_bucket": data.bucket, "data_key": data.key, "batch_input": batch_input}

    prefix = request.data_prefix
    assert prefix is not None  # PlanRequest requires one of the two
    require_location_inside(prefix, config.data_location, field="data_s3_prefix", purpose="read data from")
    if prefix.overlaps(request.output_prefix):
        raise ValidationError(
            f"output_s3_prefix {request.output_prefix.uri} and data_s3_prefix {prefix.uri} overlap: outputs must go elsewhere"
        )
    if not any_object_under(s3, prefix):
        raise ValidationError(f"data_s3_prefix {prefix.uri} holds no objects: there is nothing to predict")
    batch_input.update(
        item_kind=S3_OBJECTS,
        output_format=request.output_format.label if request.output_format else None,
        data_bucket=prefix.bucket,
        data_prefix=prefix.prefix,
    )
    return {
        "item_kind": S3_OBJECTS,
        "data_bucket": prefix.bucket,
        "data_prefix": prefix.prefix,
        "batch_input": batch_input,
    }


def run_map_batch(batch: MapBatch, *, s3: Any, models: ModelStore, config: FunctionConfig) -> dict[str, Any]:
    require_location_inside(
        batch.output_prefix, config.results_location, field="output_s3_prefix", purpose="write results to"
    )
    if batch.item_kind == CSV_ROWS:
        return _csv_rows(batch, s3=s3, models=models, config=config)
    return _s3_objects(batch, s3=s3, models=models, config=config)


def part_key(items: list[Any], data_format: DataFormat) -> str:
    """part-<first 16 hex of the sha256 of the items as canonical JSON>.<ext>: the same rows
    always name the same part."""
    canonical = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:PART_DIGEST_HEX]
    return f"part-{digest}{data_format.extension}"


def rows_to_batch(items: list[Any]) -> pa.RecordBatch:
    """CSV rows as the Map hands them over ({column: "text"}) -> a batch of text columns."""
    if not items:
        raise ValidationError("Items is empty: there is nothing to predict")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError(
                f"Items[{index}] must be a CSV row as an object {{column: value}}, got {type_name(item)}"
            )
    columns = list(dict.fromkeys(name for item in items for name in item))
    arrays = [pa.array([_text(item.get(name)) for item in items], type=pa.string()) for name in columns]
    return pa.RecordBatch.from_arrays(arrays, names=columns)


def _csv_rows(batch: MapBatch, *, s3: Any, models: ModelStore, config: FunctionConfig) -> dict[str, Any]:
    model = models.get(batch.model)
    require_probabilities(model, batch.options)
    features = resolve_features(model, batch.options)
    rows = rows_to_batch(batch.items)
    require_columns(rows.schema.names, features, source="the batch's CSV rows")
    output_format = batch.output_format or DataFormat(name=CSV)
    output = batch.output_prefix.object(part_key(batch.items, output_format))
    with MultipartUpload(
        s3, obj=output, part_bytes=config.part_bytes, content_type=output_format.content_type, overwrite=True
    ) as upload:
        count, _ = write_predictions(
            (rows.slice(start, config.batch_rows) for start in range(0, rows.num_rows, config.batch_rows)),
            model=model,
            features=features,
            options=batch.options,
            sink=upload,
            output_format=output_format,
            rows_name="row of this batch",
        )
        upload.complete()
    return {"predictions_generated": count, "outputs": [output.uri]}


def _s3_objects(batch: MapBatch, *, s3: Any, models: ModelStore, config: FunctionConfig) -> dict[str, Any]:
    prefix = batch.data_prefix
    assert prefix is not None  # MapBatch requires it for s3_objects
    total, outputs = 0, []
    for index, item in enumerate(batch.items):
        key = item.get("Key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            raise ValidationError(f"Items[{index}] must be an S3 listing entry with a 'Key', got {type_name(item)}")
        if key.endswith("/"):  # a "folder" marker, not data
            continue
        try:
            data = S3Object.parse(f"s3://{prefix.bucket}/{key}")
        except S3UriError as error:
            raise ValidationError(f"Items[{index}]: {error}") from None
        require_inside(data, prefix, field=f"Items[{index}]", purpose="read in this job (data_prefix)")
        relative = prefix.relative_key(data)
        if batch.output_format is not None:
            relative = replace_extension(relative, batch.output_format)
        request = JobRequest(
            model=batch.model,
            data=data,
            output=batch.output_prefix.object(relative),
            options=batch.options,
            overwrite=True,
        )
        result = run_job(request, s3=s3, models=models, config=config)
        total += result.rows
        outputs.append(result.output.uri)
    return {"predictions_generated": total, "outputs": outputs}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (bool, list, dict)) else str(value)

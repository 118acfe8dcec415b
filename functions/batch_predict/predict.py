"""The prediction job: one S3 input object -> the same rows plus predictions, as one S3 output
object that appears only if the whole job succeeds.

`run_job(request, *, s3, models, config)` is the pure entry point the handler calls (and a
benchmark can call directly against any S3 endpoint). Steps, cheapest check first:
locations and formats -> the output must not exist (unless overwrite) -> model (cache) ->
input header/schema and feature columns -> stream: read a record batch, convert features,
predict, write the batch into a multipart upload -> complete the upload. Any failure on
the way aborts the upload (multipart.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from batch_predict.config import FunctionConfig
from batch_predict.features import feature_matrix, require_columns, resolve_feature_columns
from batch_predict.formats import CSV, DataFormat, detect_format
from batch_predict.locations import require_distinct, require_inside
from batch_predict.model_store import ModelStore
from batch_predict.models import Model, ModelIdentity, Prediction
from batch_predict.multipart import MultipartUpload, output_exists_error
from batch_predict.readers import open_reader
from batch_predict.requests import JobRequest, PredictionOptions
from batch_predict.s3_objects import exists, head
from batch_predict.writers import OutputWriter, open_writer
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Object

PROBABILITY_PREFIX = "probability_"


@dataclass(frozen=True, kw_only=True)
class JobResult:
    rows: int
    output: S3Object
    prediction_column: str
    model: ModelIdentity
    input_format: str
    output_format: str
    bytes_read: int
    bytes_written: int
    batches: int
    seconds: float

    def as_body(self) -> dict[str, Any]:
        """The direct invoke's success body (the seed contract's keys, plus model and formats)."""
        return {
            "success": True,
            "predictions_generated": self.rows,
            "output_s3_uri": self.output.uri,
            "prediction_column_name": self.prediction_column,
            "model": self.model.as_dict(),
            "input_format": self.input_format,
            "output_format": self.output_format,
        }

    def summary(self) -> dict[str, Any]:
        """What the job log line carries: sizes and timings, never data values."""
        return {
            "rows": self.rows,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds > 0 else None,
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
            "input_format": self.input_format,
            "output_format": self.output_format,
            "output_s3_uri": self.output.uri,
            "model": self.model.as_dict(),
        }


def run_job(request: JobRequest, *, s3: Any, models: ModelStore, config: FunctionConfig) -> JobResult:
    started = time.perf_counter()
    require_inside(request.data, config.data_location, field="data_s3_uri", purpose="read data from")
    require_inside(request.output, config.results_location, field="output_s3_uri", purpose="write results to")
    require_distinct(request.output, others={"data_s3_uri": request.data, "model_s3_uri": request.model})
    input_format = detect_format(request.data.key, field="data_s3_uri")
    output_format = detect_format(request.output.key, field="output_s3_uri")
    if not request.overwrite and exists(s3, request.output):
        raise output_exists_error(request.output)

    model = models.get(request.model)
    require_probabilities(model, request.options)
    info = head(s3, request.data, field="data_s3_uri")
    reader = open_reader(s3, info, input_format, block_bytes=config.read_block_bytes)
    features = resolve_features(model, request.options)
    require_columns(reader.columns, features, source=f"data_s3_uri {request.data.uri}")

    with MultipartUpload(
        s3,
        obj=request.output,
        part_bytes=config.part_bytes,
        content_type=output_format.content_type,
        overwrite=request.overwrite,
    ) as upload:
        rows, batches = write_predictions(
            reader.batches(features, batch_rows=config.batch_rows),
            model=model,
            features=features,
            options=request.options,
            sink=upload,
            output_format=output_format,
        )
        if rows == 0:
            raise ValidationError(f"data_s3_uri {request.data.uri} has no rows: there is nothing to predict")
        written = upload.complete()
    return JobResult(
        rows=rows,
        output=request.output,
        prediction_column=request.options.prediction_column,
        model=model.identity,
        input_format=input_format.label,
        output_format=output_format.label,
        bytes_read=info.size,
        bytes_written=written,
        batches=batches,
        seconds=time.perf_counter() - started,
    )


def resolve_features(model: Model, options: PredictionOptions) -> tuple[str, ...]:
    return resolve_feature_columns(
        options.feature_columns,
        model_features=model.feature_names,
        model_feature_count=model.feature_count,
        model_uri=model.identity.s3_uri,
    )


def require_probabilities(model: Model, options: PredictionOptions) -> None:
    if options.include_probabilities and not model.has_probabilities:
        raise ValidationError(
            f"include_probabilities is true but the model {model.identity.s3_uri} gives no class probabilities"
            " (a regressor, or a classifier without predict_proba): leave include_probabilities out"
        )


def write_predictions(
    batches: Iterable[pa.RecordBatch],
    *,
    model: Model,
    features: tuple[str, ...],
    options: PredictionOptions,
    sink: Any,
    output_format: DataFormat,
    rows_name: str = "row",
) -> tuple[int, int]:
    """Predict every batch and write it, with its predictions, into `sink`; (rows, batches)."""
    writer: OutputWriter | None = None
    rows = batch_count = 0
    # CSV out: features that arrived as text go out as the same text (exactly the input, and
    # formatting millions of floats again would be half the job's time). Typed formats
    # (JSON Lines, Parquet) carry them as numbers.
    features_as_text = output_format.name == CSV
    for batch in batches:
        if batch.num_rows == 0:
            continue
        matrix, converted = feature_matrix(batch, features, first_row=rows + 1, rows_name=rows_name)
        prediction = model.predict(matrix, probabilities=options.include_probabilities)
        output = output_batch(batch, {} if features_as_text else converted, prediction, options)
        if writer is None:
            writer = open_writer(sink, output_format, output.schema)
        writer.write(output)
        rows += batch.num_rows
        batch_count += 1
    if writer is not None:
        writer.close()
    return rows, batch_count


def output_batch(
    batch: pa.RecordBatch, converted: dict[str, pa.Array], prediction: Prediction, options: PredictionOptions
) -> pa.RecordBatch:
    """The input's columns (those in `converted` replaced by their numeric version), the
    prediction column, then one probability_<class> column per class if asked for."""
    names = list(batch.schema.names)
    arrays = [converted.get(name, batch.column(index)) for index, name in enumerate(names)]
    added = [(options.prediction_column, _arrow(prediction.labels))]
    if prediction.probabilities is not None and prediction.classes is not None:
        added += [
            (f"{PROBABILITY_PREFIX}{label}", pa.array(prediction.probabilities[:, index], type=pa.float64()))
            for index, label in enumerate(prediction.classes)
        ]
    clashes = [name for name, _ in added if name in names]
    if clashes:
        raise ValidationError(
            f"the input already has column(s) {', '.join(repr(c) for c in clashes)}, which the output would add:"
            " choose another prediction_column_name (or rename the input's columns)"
        )
    names += [name for name, _ in added]
    arrays += [array for _, array in added]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _arrow(labels: np.ndarray) -> pa.Array:
    try:
        return pa.array(labels)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed label types: write them as text
        return pa.array([str(label) for label in labels.tolist()], type=pa.string())

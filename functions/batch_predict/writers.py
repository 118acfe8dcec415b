"""Streaming writers: record batches -> CSV (optionally gzip), JSON Lines (optionally gzip) or
Parquet bytes, written into a file-like sink (the multipart upload) batch by batch.

- CSV: the header as a usual CSV writer writes it, then each batch by pyarrow, unquoted
  unless a value needs quotes (then that batch is written with quotes where needed).
- JSON Lines: one object per row; NaN and infinity become null (JSON has neither); values JSON cannot hold
  (dates, decimals, bytes...) are written as text.
- Parquet: one row group per batch, snappy-compressed.
`close()` writes what ends the file (Parquet footer, gzip trailer); the sink stays open.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import gzip
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from batch_predict.formats import CSV, JSONL, DataFormat
from lambda_common.errors import ValidationError

GZIP_LEVEL = 6  # zlib's default: most of level 9's ratio at a fraction of its time


class OutputWriter:
    def write(self, batch: pa.RecordBatch) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def open_writer(sink: Any, data_format: DataFormat, schema: pa.Schema) -> OutputWriter:
    if data_format.name == CSV:
        _require_flat(schema)
        return CsvWriter(_maybe_gzip(sink, data_format), schema)
    if data_format.name == JSONL:
        return JsonLinesWriter(_maybe_gzip(sink, data_format))
    return ParquetWriter(sink, schema)


CSV_SLICE_ROWS = 8192


class CsvWriter(OutputWriter):
    def __init__(self, target: Any, schema: pa.Schema) -> None:
        self._target = target
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(schema.names)
        target.write(header.getvalue().encode("utf-8"))
        self._unquoted = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        self._quoted = pa_csv.WriteOptions(include_header=False, quoting_style="needed")

    def write(self, batch: pa.RecordBatch) -> None:
        # In slices: the text of a whole batch of floats is several times its binary size.
        for offset in range(0, batch.num_rows, CSV_SLICE_ROWS):
            rows = batch.slice(offset, CSV_SLICE_ROWS)
            buffer = pa.BufferOutputStream()
            try:
                pa_csv.write_csv(rows, buffer, self._unquoted)
            except pa.ArrowInvalid:  # a value holds a comma, quote or line break: quote where needed
                buffer = pa.BufferOutputStream()
                pa_csv.write_csv(rows, buffer, self._quoted)
            self._target.write(buffer.getvalue())

    def close(self) -> None:
        if isinstance(self._target, gzip.GzipFile):
            self._target.close()


class JsonLinesWriter(OutputWriter):
    def __init__(self, target: Any) -> None:
        self._target = target

    def write(self, batch: pa.RecordBatch) -> None:
        batch = _non_finite_to_null(batch)
        lines = [
            json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=_json_value, allow_nan=False)
            for row in batch.to_pylist()
        ]
        self._target.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        if isinstance(self._target, gzip.GzipFile):
            self._target.close()


class ParquetWriter(OutputWriter):
    def __init__(self, sink: Any, schema: pa.Schema) -> None:
        self._schema = schema
        self._writer = pq.ParquetWriter(sink, schema, compression="snappy")

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.schema.equals(self._schema):
            batch = batch.cast(self._schema)
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


def _maybe_gzip(sink: Any, data_format: DataFormat) -> Any:
    # mtime=0: the same rows give the same bytes (a retried batch writes an identical part)
    return gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) if data_format.gzip else sink


def _require_flat(schema: pa.Schema) -> None:
    nested = [field.name for field in schema if pa.types.is_nested(field.type)]
    if nested:
        raise ValidationError(
            f"column(s) {', '.join(repr(n) for n in nested[:10])} hold nested values (lists or objects), which CSV cannot"
            " represent: write JSON Lines (.jsonl) or Parquet (.parquet) instead"
        )


def _non_finite_to_null(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = []
    changed = False
    for column in batch.columns:
        if pa.types.is_floating(column.type) and not pc.all(pc.is_finite(column)).as_py():
            column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))
            changed = True
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema) if changed else batch


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)

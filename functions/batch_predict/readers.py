"""Streaming readers: an S3 object -> its column names, then record batches of at most
BATCH_ROWS rows. Memory is bounded whatever the object's size: CSV and JSON by the read block
(pyarrow reads a few dozen blocks ahead at most), Parquet by one row group.

- CSV (optionally gzip): pyarrow.csv.open_csv over the GetObject stream. The header is read
  first (one ranged GET) and EVERY column is read as a string: the streaming reader would
  otherwise infer types from its first block, which a later block may contradict, and text
  such as "007" must come out as it went in. Feature columns are converted to numbers by
  features.py, which can then name the column and row of a bad value.
- JSON Lines (optionally gzip): pyarrow.json.open_json; feature columns are declared float64,
  the others keep the JSON type of the first block's values (JSON has types; a column whose
  type changes later is reported as a 400). Columns keep the order of the first record.
- Parquet: ParquetFile.iter_batches over a seekable file of ranged GETs (s3_objects), since
  Parquet needs random access, one row group at a time; columns keep their stored types.

pyarrow's own error messages may quote data values; they are translated here into messages
that name columns and rows, never values (they end up in logs).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from batch_predict.formats import CSV, JSONL, DataFormat
from batch_predict.s3_objects import ObjectInfo, RangedObjectFile, open_stream, read_prefix
from lambda_common.errors import ValidationError
from lambda_common.json_input import loads

HEADER_PEEK_BYTES = 1024 * 1024  # the CSV header / first JSON record must fit in this
PARQUET_BUFFER_BYTES = 1024 * 1024
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # zlib: expect a gzip header


class DataReader:
    """One input object: `columns` (known before any row is read), then `batches()`."""

    def __init__(self, *, info: ObjectInfo, data_format: DataFormat, columns: tuple[str, ...]) -> None:
        self.info = info
        self.format = data_format
        self.columns = columns

    def batches(self, feature_columns: tuple[str, ...], *, batch_rows: int) -> Iterator[pa.RecordBatch]:
        rows = 0
        try:
            for batch in self._read(feature_columns, batch_rows=batch_rows):
                for start in range(0, batch.num_rows, batch_rows):
                    piece = batch.slice(start, batch_rows)
                    rows += piece.num_rows
                    yield piece
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ValidationError(self._explain(str(error), feature_columns, rows)) from None
        except OSError as error:
            if _is_compression_error(error):
                raise ValidationError(
                    f"{self.info.obj.uri} is not a complete gzip file (after row {rows}): its name ends in .gz;"
                    " compress it with gzip, or drop .gz from the name"
                ) from None
            raise

    def _read(self, feature_columns: tuple[str, ...], *, batch_rows: int) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def _explain(self, message: str, feature_columns: tuple[str, ...], rows: int) -> str:
        return f"cannot read {self.info.obj.uri} as {self.format.label} (after row {rows}): {_without_values(message)}"


def open_reader(s3: Any, info: ObjectInfo, data_format: DataFormat, *, block_bytes: int) -> DataReader:
    """A reader for `info` in `data_format`, its columns already known (ValidationError if the
    object is empty or its header/schema unreadable)."""
    if info.size == 0:
        raise ValidationError(f"data_s3_uri {info.obj.uri} is empty: it has no header and no rows")
    if data_format.name == CSV:
        return CsvReader(s3, info, data_format, block_bytes=block_bytes)
    if data_format.name == JSONL:
        return JsonLinesReader(s3, info, data_format, block_bytes=block_bytes)
    return ParquetReader(s3, info, data_format)


class CsvReader(DataReader):
    def __init__(self, s3: Any, info: ObjectInfo, data_format: DataFormat, *, block_bytes: int) -> None:
        super().__init__(info=info, data_format=data_format, columns=read_csv_header(s3, info, gzip=data_format.gzip))
        self._s3 = s3
        self._block_bytes = block_bytes

    def _read(self, feature_columns: tuple[str, ...], *, batch_rows: int) -> Iterator[pa.RecordBatch]:
        stream = _input_stream(open_stream(self._s3, self.info), gzip=self.format.gzip)
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                column_names=list(self.columns), skip_rows=1, block_size=self._block_bytes, use_threads=True
            ),
            # Quoted values may span lines (free text columns); the chunker then scans quotes.
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in self.columns}, strings_can_be_null=False
            ),
        )
        try:
            yield from reader
        finally:
            reader.close()

    def _explain(self, message: str, feature_columns: tuple[str, ...], rows: int) -> str:
        where = f"{self.info.obj.uri} (after data row {rows})"
        fields = re.search(r"Expected (\d+) columns, got (\d+)", message)
        if fields:
            return (
                f"{where}: a row has {fields.group(2)} fields where the header has {fields.group(1)}: every row"
                " needs one value per header column (quote values that contain commas)"
            )
        column = re.search(r"In CSV column #(\d+)", message)
        if column and "UTF8" in message:
            name = self.columns[int(column.group(1))] if int(column.group(1)) < len(self.columns) else column.group(1)
            return f"{where}: column {name!r} holds bytes that are not UTF-8 text: save the file as UTF-8"
        if "straddl" in message or "block size" in message:
            return f"{where}: a row is longer than the read block ({self._block_bytes} bytes): raise BATCH_ROWS"
        return super()._explain(message, feature_columns, rows)


class JsonLinesReader(DataReader):
    def __init__(self, s3: Any, info: ObjectInfo, data_format: DataFormat, *, block_bytes: int) -> None:
        super().__init__(
            info=info, data_format=data_format, columns=_first_record_keys(s3, info, gzip=data_format.gzip)
        )
        self._s3 = s3
        self._block_bytes = block_bytes

    def _read(self, feature_columns: tuple[str, ...], *, batch_rows: int) -> Iterator[pa.RecordBatch]:
        stream = _input_stream(open_stream(self._s3, self.info), gzip=self.format.gzip)
        schema = pa.schema([(name, pa.float64()) for name in feature_columns])
        reader = pa_json.open_json(
            stream,
            read_options=pa_json.ReadOptions(block_size=self._block_bytes, use_threads=True),
            parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
        )
        # The declared columns come first in pyarrow's schema: put them back in the file's order.
        names = reader.schema.names
        order = [name for name in self.columns if name in names] + [name for name in names if name not in self.columns]
        try:
            for batch in reader:
                yield batch.select(order)
        finally:
            reader.close()

    def _explain(self, message: str, feature_columns: tuple[str, ...], rows: int) -> str:
        uri = self.info.obj.uri
        changed = re.search(r"Column\((/[^)]*)?\) changed from (\w+) to (\w+) in row (\d+)", message)
        if changed:
            path, old, new, row = changed.groups()
            name = (path or "/")[1:].replace("/", ".")
            at = rows + int(row) + 1
            if not name:
                return f"{uri}: record {at} is not a JSON object: every line of JSON Lines must be one object"
            if name in feature_columns:
                return f"{uri}: feature column {name!r} holds a {new} in record {at}: feature values must be numbers"
            return (
                f"{uri}: column {name!r} holds {old} values in the first records and a {new} in record {at}: give each"
                " column one JSON type throughout (the first records decide it), or use CSV or Parquet"
            )
        if "Failed to convert JSON to" in message:
            kind = re.search(r"Failed to convert JSON to (\w+)", message)
            return (
                f"{uri}: a column whose first records hold {kind.group(1) if kind else 'one type'} holds other values"
                f" after record {rows}: give each column one JSON type throughout (for numbers, write 1.0 rather"
                " than 1 in the first record if later ones have fractions), or use CSV or Parquet"
            )
        if "unexpected field" in message:
            return (
                f"{uri}: a record after record {rows} has a field the first records do not have: give every"
                " record the same fields (null where there is no value)"
            )
        if "Empty JSON stream" in message:
            return f"data_s3_uri {uri} has no records"
        if "straddling" in message:
            return f"{uri}: a record after record {rows} is longer than the read block: raise BATCH_ROWS"
        return f"{uri} is not valid JSON Lines (after record {rows}): {_without_values(message)}"


class ParquetReader(DataReader):
    def __init__(self, s3: Any, info: ObjectInfo, data_format: DataFormat) -> None:
        self._raw = RangedObjectFile(s3, info)
        try:
            self._file = pq.ParquetFile(io.BufferedReader(self._raw, PARQUET_BUFFER_BYTES), pre_buffer=True)
        except (pa.ArrowInvalid, OSError) as error:
            if isinstance(error, OSError) and not isinstance(error, pa.ArrowException):
                raise
            raise ValidationError(f"data_s3_uri {info.obj.uri} is not a Parquet file (or it is damaged)") from None
        super().__init__(info=info, data_format=data_format, columns=tuple(self._file.schema_arrow.names))

    def _read(self, feature_columns: tuple[str, ...], *, batch_rows: int) -> Iterator[pa.RecordBatch]:
        # One row group at a time: pre_buffer then fetches each group's column chunks in a few
        # coalesced ranged GETs, and memory holds one row group, not the file (asked for all
        # row groups at once, pyarrow would pre-buffer them all).
        for row_group in range(self._file.num_row_groups):
            yield from self._file.iter_batches(batch_size=batch_rows, row_groups=[row_group], use_threads=True)


def read_csv_header(s3: Any, info: ObjectInfo, *, gzip: bool) -> tuple[str, ...]:
    """The column names of a CSV object, from its first bytes only (one ranged GET)."""
    text, complete = _peek_text(s3, info, gzip=gzip)
    if not complete:
        cut = text.rfind("\n")
        if cut < 0:
            raise ValidationError(
                f"{info.obj.uri}: no end of the header line in its first {HEADER_PEEK_BYTES} bytes: is it a CSV file?"
            )
        text = text[: cut + 1]
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(rows, None)
    if not header or header == [""]:
        raise ValidationError(f"data_s3_uri {info.obj.uri} has no header row: the first line must name the columns")
    if any("\ufffd" in name for name in header):
        raise ValidationError(f"{info.obj.uri}: the header is not UTF-8 text: save the file as UTF-8")
    blank = [str(index + 1) for index, name in enumerate(header) if not name.strip()]
    if blank:
        raise ValidationError(f"{info.obj.uri}: header column(s) {', '.join(blank)} have no name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ValidationError(
            f"{info.obj.uri}: the header names {', '.join(repr(d) for d in duplicates)} more than once"
        )
    return tuple(header)


def _first_record_keys(s3: Any, info: ObjectInfo, *, gzip: bool) -> tuple[str, ...]:
    text, complete = _peek_text(s3, info, gzip=gzip)
    for line in text.splitlines(keepends=True):
        if not line.strip():
            continue
        if not line.endswith("\n") and not complete:
            raise ValidationError(
                f"{info.obj.uri}: the first record is longer than {HEADER_PEEK_BYTES} bytes: records that long are not"
                " supported (each must fit in the read block)"
            )
        record = loads(line, what=f"{info.obj.uri}: the first line", example='{"f1": 1.5} (JSON Lines: one per line)')
        if not isinstance(record, dict):
            raise ValidationError(
                f"{info.obj.uri}: the first line is not a JSON object: JSON Lines needs one object per line"
            )
        return tuple(record)
    raise ValidationError(f"data_s3_uri {info.obj.uri} has no records")


def _peek_text(s3: Any, info: ObjectInfo, *, gzip: bool) -> tuple[str, bool]:
    """The object's first bytes decoded as UTF-8, and whether they are the whole content."""
    raw = read_prefix(s3, info, max_bytes=HEADER_PEEK_BYTES)
    whole = len(raw) >= info.size
    if gzip:
        decompressor = zlib.decompressobj(_GZIP_WINDOW)
        try:
            data = decompressor.decompress(raw, HEADER_PEEK_BYTES)
        except zlib.error:
            raise ValidationError(
                f"{info.obj.uri} is not a gzip file: its name ends in .gz; compress it with gzip, or drop .gz from the name"
            ) from None
        whole = whole and decompressor.eof and not decompressor.unconsumed_tail
    else:
        data = raw
    # Lenient here: only the header (or first record) is used, and it is checked on its own;
    # a bad byte further on is reported by pyarrow with its column.
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=whole), whole


def _input_stream(body: Any, *, gzip: bool) -> Any:
    stream = pa.PythonFile(body, mode="r")
    return pa.CompressedInputStream(stream, "gzip") if gzip else stream


def _is_compression_error(error: OSError) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("zlib", "gzip", "compressed stream", "inflate"))


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _without_values(message: str) -> str:
    """pyarrow's message: its first line, quoted values replaced, at most 300 characters."""
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    first = _QUOTED.sub("'…'", first)
    return first[:300]

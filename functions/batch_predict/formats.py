"""Data formats, chosen by an object key's extension: CSV, JSON Lines and Parquet.

| extension                           | format  | compression |
|-------------------------------------|---------|-------------|
| .csv                                | csv     | none        |
| .csv.gz                             | csv     | gzip        |
| .jsonl, .ndjson                     | jsonl   | none        |
| .jsonl.gz, .ndjson.gz               | jsonl   | gzip        |
| .parquet                            | parquet | its own (per column, inside the file) |

Extensions are matched case-insensitively. Pure: no pyarrow here (readers.py, writers.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_common.errors import ValidationError

CSV = "csv"
JSONL = "jsonl"
PARQUET = "parquet"
FORMAT_NAMES = (CSV, JSONL, PARQUET)

_BY_EXTENSION = {
    ".csv": (CSV, False),
    ".csv.gz": (CSV, True),
    ".jsonl": (JSONL, False),
    ".ndjson": (JSONL, False),
    ".jsonl.gz": (JSONL, True),
    ".ndjson.gz": (JSONL, True),
    ".parquet": (PARQUET, False),
}
SUPPORTED_EXTENSIONS = tuple(_BY_EXTENSION)
CONTENT_TYPES = {CSV: "text/csv", JSONL: "application/x-ndjson", PARQUET: "application/vnd.apache.parquet"}
GZIP_CONTENT_TYPE = "application/gzip"


@dataclass(frozen=True, kw_only=True)
class DataFormat:
    name: str  # csv | jsonl | parquet
    gzip: bool = False

    @property
    def label(self) -> str:
        """How responses name it: csv, csv.gz, jsonl, jsonl.gz, parquet."""
        return f"{self.name}.gz" if self.gzip else self.name

    @property
    def extension(self) -> str:
        return f".{self.label}"

    @property
    def content_type(self) -> str:
        return GZIP_CONTENT_TYPE if self.gzip else CONTENT_TYPES[self.name]


def format_extension(key: str) -> str | None:
    """The supported extension `key` ends with (longest match, lower case), None if none."""
    lowered = key.lower()
    matches = [extension for extension in _BY_EXTENSION if lowered.endswith(extension)]
    return max(matches, key=len) if matches else None


def detect_format(key: str, *, field: str) -> DataFormat:
    """The format of an object named `key`; ValidationError naming `field` if unsupported."""
    extension = format_extension(key)
    if extension is None:
        name = key.rsplit("/", 1)[-1]
        raise ValidationError(
            f"{field}: cannot tell the data format of {name[:100]!r} from its extension; use one of"
            f" {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    name, gzip = _BY_EXTENSION[extension]
    return DataFormat(name=name, gzip=gzip)


def named_format(name: object, *, field: str) -> DataFormat:
    """A format given by name ("csv", "jsonl", "parquet", or with ".gz" for the first two)."""
    if isinstance(name, str):
        extension = "." + name.strip().lower()
        if extension in _BY_EXTENSION and extension != ".ndjson" and extension != ".ndjson.gz":
            found, gzip = _BY_EXTENSION[extension]
            return DataFormat(name=found, gzip=gzip)
    raise ValidationError(
        f"{field} must be one of 'csv', 'csv.gz', 'jsonl', 'jsonl.gz', 'parquet', got {str(name)[:50]!r}"
    )


def replace_extension(key: str, data_format: DataFormat) -> str:
    """`key` with its data extension (if any) replaced by `data_format`'s."""
    extension = format_extension(key)
    stem = key[: -len(extension)] if extension else key
    return stem + data_format.extension

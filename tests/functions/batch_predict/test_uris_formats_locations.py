"""Pure logic, no network: S3 URI parsing, format detection by extension, location checks and
the model trust policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_predict.formats import DataFormat, detect_format, named_format, replace_extension
from batch_predict.locations import require_distinct, require_inside
from batch_predict.model_policy import ONNX, PICKLE, SKOPS, model_kind, require_trusted_source
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Location, S3Object, S3UriError

# --- S3 URIs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "bucket", "key"),
    [
        ("s3://data/in.csv", "data", "in.csv"),
        ("s3://my.bucket-1/a/b/c d.parquet", "my.bucket-1", "a/b/c d.parquet"),
        ("s3://abc/ünïcode/ключ.jsonl", "abc", "ünïcode/ключ.jsonl"),
    ],
)
def test_object_uris_parse(uri: str, bucket: str, key: str) -> None:
    parsed = S3Object.parse(uri)
    assert (parsed.bucket, parsed.key, parsed.uri) == (bucket, key, uri)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "data/in.csv",
        "s3:/data/in.csv",
        "s3://data",
        "s3://data/",
        "s3://data/dir/",
        "s3://Data/in.csv",
        "s3://a/in.csv",
        "s3://bad_bucket/in.csv",
        "S3://data/in.csv",
        f"s3://data/{'k' * 1025}",
    ],
)
def test_malformed_object_uris_are_refused(uri: str) -> None:
    with pytest.raises(S3UriError):
        S3Object.parse(uri)


def test_locations_require_a_trailing_slash_unless_asked_to_add_it() -> None:
    assert S3Location.parse("s3://data/") == S3Location(bucket="data", prefix="")
    assert S3Location.parse("s3://data") == S3Location(bucket="data", prefix="")
    assert S3Location.parse("s3://data/in/").prefix == "in/"
    with pytest.raises(S3UriError, match="must end with '/'"):
        S3Location.parse("s3://data/in")
    assert S3Location.parse("s3://data/in", require_slash=False).prefix == "in/"
    with pytest.raises(S3UriError, match="empty path segment"):
        S3Location.parse("s3://data/in//x/")


def test_a_prefix_does_not_contain_its_lookalikes() -> None:
    location = S3Location(bucket="data", prefix="in/")
    assert location.contains(S3Object(bucket="data", key="in/a.csv"))
    assert location.contains(S3Object(bucket="data", key="in/deep/a.csv"))
    assert not location.contains(S3Object(bucket="data", key="in-private/a.csv"))
    assert not location.contains(S3Object(bucket="data", key="in"))
    assert not location.contains(S3Object(bucket="other", key="in/a.csv"))
    assert S3Location(bucket="data", prefix="").contains(S3Object(bucket="data", key="anything"))


def test_overlapping_locations() -> None:
    whole, inner, sibling = (S3Location(bucket="b", prefix=p) for p in ("", "in/", "out/"))
    assert whole.overlaps(inner) and inner.overlaps(whole)
    assert not inner.overlaps(sibling)
    assert not inner.overlaps(S3Location(bucket="c", prefix="in/"))


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
        lambda k: not k.endswith("/")
    )
)
def test_relative_keys_round_trip(relative: str) -> None:
    location = S3Location(bucket="data", prefix="in/")
    obj = location.object(relative)
    assert location.contains(obj) and location.relative_key(obj) == relative


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name", "gzip", "label"),
    [
        ("a.csv", "csv", False, "csv"),
        ("dir/A.CSV", "csv", False, "csv"),
        ("a.csv.gz", "csv", True, "csv.gz"),
        ("a.jsonl", "jsonl", False, "jsonl"),
        ("a.ndjson", "jsonl", False, "jsonl"),
        ("a.NDJSON.GZ", "jsonl", True, "jsonl.gz"),
        ("a.jsonl.gz", "jsonl", True, "jsonl.gz"),
        ("a.parquet", "parquet", False, "parquet"),
        ("v1.2.csv", "csv", False, "csv"),
    ],
)
def test_formats_are_detected_by_extension(key: str, name: str, gzip: bool, label: str) -> None:
    detected = detect_format(key, field="data_s3_uri")
    assert (detected.name, detected.gzip, detected.label) == (name, gzip, label)


@pytest.mark.parametrize("key", ["a.txt", "a.json", "a.gz", "a.parquet.gz", "a.csv.bz2", "csv", "a.xlsx"])
def test_unknown_extensions_name_the_supported_ones(key: str) -> None:
    with pytest.raises(ValidationError, match=r"output_s3_uri: cannot tell the data format.*\.csv, \.csv\.gz"):
        detect_format(key, field="output_s3_uri")


def test_named_formats_and_extension_replacement() -> None:
    assert named_format("parquet", field="f") == DataFormat(name="parquet")
    assert named_format("CSV.GZ", field="f") == DataFormat(name="csv", gzip=True)
    with pytest.raises(ValidationError, match="output_format must be one of"):
        named_format("ndjson", field="output_format")
    assert replace_extension("2026/01.csv.gz", DataFormat(name="parquet")) == "2026/01.parquet"
    assert replace_extension("2026/README", DataFormat(name="jsonl")) == "2026/README.jsonl"
    assert DataFormat(name="jsonl", gzip=True).content_type == "application/gzip"
    assert DataFormat(name="csv").content_type == "text/csv"


# --- locations and the trust policy -----------------------------------------------------------


def test_require_inside_names_the_allowed_location() -> None:
    location = S3Location(bucket="data", prefix="in/")
    require_inside(S3Object(bucket="data", key="in/a.csv"), location, field="data_s3_uri", purpose="read data from")
    with pytest.raises(ValidationError) as raised:
        require_inside(
            S3Object(bucket="data", key="out/a.csv"), location, field="data_s3_uri", purpose="read data from"
        )
    assert raised.value.message == (
        "data_s3_uri s3://data/out/a.csv is outside the location this function may read data from: use a URI under s3://data/in/"
    )


def test_the_output_may_not_be_an_input() -> None:
    same = S3Object(bucket="b", key="x.csv")
    with pytest.raises(ValidationError, match="must differ from data_s3_uri"):
        require_distinct(same, others={"data_s3_uri": S3Object(bucket="b", key="x.csv")})
    require_distinct(same, others={"data_s3_uri": S3Object(bucket="b", key="x.csv.gz")})


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("m.skops", SKOPS),
        ("m.onnx", ONNX),
        ("m.ONNX", ONNX),
        ("m.joblib", PICKLE),
        ("m.pkl", PICKLE),
        ("m.pickle", PICKLE),
    ],
)
def test_model_kinds(name: str, kind: str) -> None:
    assert model_kind(S3Object(bucket="models", key=f"dir/{name}")) == kind


MODELS = S3Location(bucket="models", prefix="approved/")
TRUSTED = (S3Location(bucket="models", prefix="pickles/"), S3Location(bucket="legacy", prefix=""))


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("s3://models/approved/m.skops", True),
        ("s3://models/approved/m.onnx", True),
        ("s3://models/pickles/m.onnx", False),  # data formats only from the model prefix
        ("s3://models/pickles/m.joblib", True),
        ("s3://legacy/any/where/m.pkl", True),
        ("s3://models/approved/m.pkl", False),  # the model prefix is not a trusted pickle prefix
        ("s3://models/pickles-2/m.pkl", False),
    ],
)
def test_the_trust_policy(uri: str, allowed: bool) -> None:
    obj = S3Object.parse(uri)

    def check() -> None:
        require_trusted_source(obj, kind=model_kind(obj), model_location=MODELS, trusted_pickle_prefixes=TRUSTED)

    if allowed:
        check()
    else:
        with pytest.raises(ValidationError):
            check()


def test_with_no_trusted_prefixes_no_pickle_loads() -> None:
    obj = S3Object.parse("s3://models/approved/m.joblib")
    with pytest.raises(ValidationError, match=r"TRUSTED_PICKLE_PREFIXES \(none configured\)"):
        require_trusted_source(obj, kind=PICKLE, model_location=MODELS, trusted_pickle_prefixes=())

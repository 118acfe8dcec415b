from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from stacks.settings import (
    ENVIRONMENTS,
    BatchPredictSettings,
    BatchStateMachineSettings,
    BucketLocation,
    FunctionSettings,
    MonitoringSettings,
    ProvisionedConcurrencyAutoscaling,
    S3TriggerSettings,
    SettingsError,
    VpcPlacement,
    settings_for,
)


def test_every_environment_names_a_real_account_and_region() -> None:
    assert {"dev", "prod"} <= set(ENVIRONMENTS)
    for name, settings in ENVIRONMENTS.items():
        assert settings.name == name
        assert len(settings.account) == 12 and settings.region


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ENVIRONMENTS["dev"].mask_predictor.function.memory_mb = 1024


def test_unknown_environment_says_which_exist() -> None:
    with pytest.raises(SettingsError, match=r"unknown environment 'staging'.*\['dev', 'prod'\]"):
        settings_for("staging")


def test_account_and_region_can_be_overridden() -> None:
    settings = settings_for("dev", account="123456789012", region="eu-west-1")
    assert (settings.account, settings.region) == ("123456789012", "eu-west-1")
    assert settings.mask_predictor == ENVIRONMENTS["dev"].mask_predictor
    with pytest.raises(SettingsError, match="12-digit"):
        settings_for("dev", account="12345")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"memory_mb": 64}, "memory_mb"),
        ({"timeout_seconds": 901}, "timeout_seconds"),
        ({"architecture": "sparc"}, "architecture"),
        ({"keep_warm_minutes": 0}, "keep_warm_minutes"),
        ({"provisioned_concurrency": -1}, "provisioned_concurrency"),
        ({"rollout": "canary_50_percent"}, "rollout must be one of"),
        (
            {
                "provisioned_concurrency": 2,
                "provisioned_concurrency_autoscaling": ProvisionedConcurrencyAutoscaling(
                    min_capacity=1, max_capacity=4
                ),
            },
            "replaces provisioned_concurrency",
        ),
        (
            {
                "reserved_concurrency": 5,
                "provisioned_concurrency_autoscaling": ProvisionedConcurrencyAutoscaling(
                    min_capacity=1, max_capacity=6
                ),
            },
            "cannot exceed reserved_concurrency",
        ),
        ({"reserved_concurrency": 1, "provisioned_concurrency": 2}, "cannot exceed reserved_concurrency"),
    ],
)
def test_function_settings_refuse_undeployable_values(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        FunctionSettings(**{"memory_mb": 512, "timeout_seconds": 30, **changes})


def test_monitoring_and_vpc_settings_validate() -> None:
    with pytest.raises(SettingsError, match="log_retention_days"):
        MonitoringSettings(log_retention_days=10)
    with pytest.raises(SettingsError, match="one private subnet id per availability zone"):
        VpcPlacement(vpc_id="vpc-1", availability_zones=("us-east-1a",), private_subnet_ids=())


# --- batch predictor -----------------------------------------------------------------------------

BATCH_FUNCTION = FunctionSettings(memory_mb=3008, timeout_seconds=900)


def test_batch_predict_defaults_per_environment() -> None:
    dev, prod = ENVIRONMENTS["dev"].batch_predict, ENVIRONMENTS["prod"].batch_predict
    for settings in (dev, prod):
        assert (settings.function.memory_mb, settings.function.timeout_seconds) == (3008, 900)
        assert settings.function.keep_warm_minutes is None
        assert (settings.models, settings.data, settings.results) == (
            BucketLocation(prefix="models/"),
            BucketLocation(prefix="input/"),
            BucketLocation(prefix="predictions/"),
        )
        assert settings.trusted_pickle_subprefix == "trusted/" and settings.trusted_pickle_prefixes == ()
        assert settings.trigger is None
        assert settings.abort_incomplete_multipart_upload_days == 1
    assert (dev.access_log_retention_days, prod.access_log_retention_days) == (90, 365)
    assert (dev.noncurrent_version_expiration_days, prod.noncurrent_version_expiration_days) == (30, 90)
    assert (dev.state_machine.max_concurrency, prod.state_machine.max_concurrency) == (10, 50)


def test_batch_function_timeout_is_capped_at_lambdas_15_minutes() -> None:
    with pytest.raises(SettingsError, match="timeout_seconds must be within 1..900"):
        BatchPredictSettings(function=FunctionSettings(memory_mb=3008, timeout_seconds=901))


@pytest.mark.parametrize(
    ("data_prefix", "results_prefix"),
    [
        ("input/", "input/out/"),
        ("input/", "input/"),
        # Results containing the data prefix: outputs keyed by the input's relative path could land in it.
        ("jobs/input/", ""),
        ("", "out/"),
    ],
)
def test_results_inside_the_data_location_are_refused(data_prefix: str, results_prefix: str) -> None:
    with pytest.raises(SettingsError, match="overlaps the data location.*trigger would invoke itself"):
        BatchPredictSettings(
            function=BATCH_FUNCTION,
            data=BucketLocation(bucket_name="shared-bucket", prefix=data_prefix),
            results=BucketLocation(bucket_name="shared-bucket", prefix=results_prefix),
        )


def test_results_beside_the_data_are_fine() -> None:
    same_bucket = BatchPredictSettings(
        function=BATCH_FUNCTION,
        data=BucketLocation(bucket_name="shared-bucket", prefix="input/"),
        results=BucketLocation(bucket_name="shared-bucket", prefix="inputs-scored/"),
    )
    assert same_bucket.results.prefix == "inputs-scored/"
    # Buckets the stack creates are distinct buckets: the same prefixes cannot collide.
    created = BatchPredictSettings(
        function=BATCH_FUNCTION, data=BucketLocation(prefix=""), results=BucketLocation(prefix="")
    )
    assert not created.results.overlaps(created.data)
    other_bucket = BucketLocation(bucket_name="other-bucket", prefix="input/")
    assert not BucketLocation(bucket_name="shared-bucket", prefix="input/").overlaps(other_bucket)


@pytest.mark.parametrize(
    "uri",
    [
        "s3://acme-models/trusted",  # not a prefix
        "https://acme-models/trusted/",
        "s3://Acme_Models/trusted/",  # not a bucket name
        "s3://acme-models/a,b/",  # would split the comma-separated variable
        "s3://acme-models/*/",
        "s3://acme-models",
    ],
)
def test_trusted_pickle_prefixes_must_be_s3_prefix_uris(uri: str) -> None:
    with pytest.raises(SettingsError):
        BatchPredictSettings(function=BATCH_FUNCTION, trusted_pickle_prefixes=(uri,))


def test_trusted_pickle_locations_accept_prefixes_and_whole_buckets() -> None:
    settings = BatchPredictSettings(
        function=BATCH_FUNCTION, trusted_pickle_prefixes=("s3://acme-models/reviewed/v2/", "s3://acme-legacy/")
    )
    assert settings.trusted_pickle_prefixes == ("s3://acme-models/reviewed/v2/", "s3://acme-legacy/")
    with pytest.raises(SettingsError, match="trust pickles anywhere under the model prefix"):
        BatchPredictSettings(function=BATCH_FUNCTION, trusted_pickle_subprefix="")
    with pytest.raises(SettingsError, match="trusted_pickle_subprefix"):
        BatchPredictSettings(function=BATCH_FUNCTION, trusted_pickle_subprefix="trusted")


@pytest.mark.parametrize(
    ("prefix", "bucket_name"),
    [("input", None), ("/input/", None), ("in*/", None), ("a//b/", None), ("input/", "Bad_Bucket"), ("input/", "ab")],
)
def test_bucket_locations_validate_prefix_and_name(prefix: str, bucket_name: str | None) -> None:
    with pytest.raises(SettingsError):
        BucketLocation(prefix=prefix, bucket_name=bucket_name)


def _trigger(**changes: object) -> S3TriggerSettings:
    return S3TriggerSettings(**{"model_key": "churn/model.skops", **changes})


def _batch_tuning(**changes: object) -> object:
    return replace(ENVIRONMENTS["dev"].batch_predict, **changes)


@pytest.mark.parametrize(
    ("build", "changes", "message"),
    [
        (_trigger, {"model_key": "s3://models/model.skops"}, "relative to the model prefix"),
        (_trigger, {"model_key": "churn/"}, "relative to the model prefix"),
        (_trigger, {"feature_columns": ("a,b",)}, "column names"),
        (_trigger, {"prediction_column": ""}, "column names"),
        (_trigger, {"suffixes": ("csv",)}, "suffixes"),
        (_trigger, {"suffixes": (".gz", ".csv.gz")}, "end with one another"),
        (_trigger, {"suffixes": (".csv", ".csv")}, "must not repeat"),
        (_batch_tuning, {"noncurrent_version_expiration_days": 0}, "noncurrent_version_expiration_days must be >= 1"),
    ],
)
def test_trigger_and_batch_tuning_settings_refuse_undeployable_values(
    build: Callable[..., object], changes: dict, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        build(**changes)


# Per settings builder, one value out of range for each field; the refusal names the field.
OUT_OF_RANGE: dict[Callable[..., object], dict[str, int]] = {
    _trigger: {"retry_attempts": 3, "max_event_age_seconds": 30},
    BatchStateMachineSettings: {
        "max_input_bytes_per_batch": 262_145,
        "max_items_per_batch": 0,
        "objects_per_batch": 0,
        "max_concurrency": 0,
        "tolerated_failure_percentage": 101,
        "timeout_hours": 0,
    },
    _batch_tuning: {
        "multipart_part_mb": 4,
        "batch_rows": 0,
        "model_cache_size": 0,
        "abort_incomplete_multipart_upload_days": 0,
    },
}


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [(build, field, value) for build, values in OUT_OF_RANGE.items() for field, value in values.items()],
)
def test_a_trigger_state_machine_or_batch_tuning_value_out_of_range_is_refused_naming_its_field(
    build: Callable[..., object], field: str, value: int
) -> None:
    with pytest.raises(SettingsError, match=field):
        build(**{field: value})


def test_account_wide_api_gateway_logging_is_opt_in_everywhere() -> None:
    """No environment owns the account's API Gateway CloudWatch role, so no stage logs executions."""
    for settings in ENVIRONMENTS.values():
        assert settings.api_gateway_account_logging is False
        assert settings.checkbox.api.execution_logging is False


@pytest.mark.parametrize(
    ("minimum", "maximum", "target", "message"),
    [
        (0, 5, 0.7, "1 <= min_capacity <= max_capacity"),
        (6, 5, 0.7, "1 <= min_capacity <= max_capacity"),
        (1, 5, 0.05, "utilization_target"),
        (1, 5, 0.95, "utilization_target"),
    ],
)
def test_provisioned_concurrency_autoscaling_validates(minimum: int, maximum: int, target: float, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        ProvisionedConcurrencyAutoscaling(min_capacity=minimum, max_capacity=maximum, utilization_target=target)


def test_autoscaling_deploys_the_alias_with_its_minimum() -> None:
    autoscaling = ProvisionedConcurrencyAutoscaling(min_capacity=3, max_capacity=3, utilization_target=0.9)
    function = FunctionSettings(memory_mb=512, timeout_seconds=30, provisioned_concurrency_autoscaling=autoscaling)
    assert function.provisioned_concurrency_floor == 3
    assert (
        FunctionSettings(memory_mb=512, timeout_seconds=30, provisioned_concurrency=2).provisioned_concurrency_floor
        == 2
    )


def test_rollout_is_all_at_once_in_dev_and_a_canary_in_prod_with_no_opt_ins() -> None:
    for name, rollout in (("dev", "all_at_once"), ("prod", "canary_10_percent_5_minutes")):
        environment = ENVIRONMENTS[name]
        for workload in (
            environment.mask_predictor,
            environment.sentiment,
            environment.checkbox,
            environment.batch_predict,
        ):
            assert workload.function.rollout == rollout
            assert workload.function.pre_traffic_health_check is False
            assert workload.function.provisioned_concurrency_autoscaling is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uploads_prefix": ""}, "uploads_prefix must be a key prefix"),  # the whole bucket: refused
        ({"uploads_prefix": "uploads"}, "uploads_prefix must be '' .whole bucket. or a key prefix"),
        ({"uploads_prefix": "/uploads/"}, "uploads_prefix must be '' .whole bucket. or a key prefix"),
        ({"uploads_prefix": "up*/"}, "must not contain"),
        ({"uploads_prefix": "a/../b/"}, "uploads_prefix must be a key prefix"),
        ({"uploads_prefix": "scans uploaded/"}, "uploads_prefix must be a key prefix"),
        ({"upload_url_expires_seconds": 5}, "upload_url_expires_seconds must be within 10..3600, got 5"),
        ({"upload_url_expires_seconds": 7200}, "upload_url_expires_seconds must be within 10..3600"),
        ({"max_upload_bytes": 0}, "max_upload_bytes must be within 1..788,529,152"),
        ({"max_upload_bytes": 800_000_000}, r"a quarter of the function's 3008 MB"),
        ({"uploads_expire_days": 0}, "uploads_expire_days must be within 1..30, got 0"),
    ],
)
def test_checkbox_upload_settings_validate(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        replace(ENVIRONMENTS["dev"].checkbox, **changes)


def test_checkbox_upload_defaults_are_valid_everywhere() -> None:
    for settings in ENVIRONMENTS.values():
        checkbox = settings.checkbox
        assert (checkbox.uploads_prefix, checkbox.upload_url_expires_seconds) == ("checkbox-uploads/", 300)
        assert (checkbox.max_upload_bytes, checkbox.uploads_expire_days) == (50_000_000, 1)
    nested = replace(ENVIRONMENTS["dev"].checkbox, uploads_prefix="scans/incoming/", max_upload_bytes=700_000_000)
    assert nested.uploads_prefix == "scans/incoming/"

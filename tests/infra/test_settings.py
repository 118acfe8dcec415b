from __future__ import annotations

import pytest

from stacks.settings import (
    ENVIRONMENTS,
    FunctionSettings,
    MonitoringSettings,
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
        ENVIRONMENTS["dev"].mask_predictor.function.memory_mb = 1024  # type: ignore[misc]


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

"""What every settings module shares: the error, CloudWatch Logs' retention periods, Lambda's
asynchronous-invoke limits."""

from __future__ import annotations

# CloudWatch Logs only accepts these retention periods (days).
LOG_RETENTION_DAYS_ALLOWED = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class SettingsError(ValueError):
    """A settings value that cannot be deployed; the message says which and why."""


def check_async_bounds(retries_name: str, retries: int, age_name: str, age_seconds: int) -> None:
    """Lambda's limits for an EventInvokeConfig."""
    if not 0 <= retries <= 2:
        raise SettingsError(
            f"{retries_name} must be within 0..2 (Lambda's limit for asynchronous events), got {retries}"
        )
    if not 60 <= age_seconds <= 21600:
        raise SettingsError(f"{age_name} must be within 60..21600 (Lambda's limits), got {age_seconds}")

"""A function's environment variables that carry its workload's settings: each is named after
the settings field, upper-cased (`max_pages` -> MAX_PAGES), the name the function's own
configuration model reads, so one limit has one name from stacks/settings.py to the handler."""

from __future__ import annotations


def settings_environment(settings: object, *fields: str) -> dict[str, str]:
    """{"FIELD": str(settings.field)} for each named field, in the order given."""
    return {field.upper(): str(getattr(settings, field)) for field in fields}

"""The settings schema: typed, frozen, validated dataclasses (stacks/settings.py holds the values)."""

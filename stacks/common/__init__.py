"""Constructs every workload stack composes; one concern per module."""

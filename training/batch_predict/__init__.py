"""Offline tooling of the batch predictor: demo fixtures and a local S3 seeding helper."""

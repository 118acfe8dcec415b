"""Benchmarks (offline tooling; never shipped). Run from the repo root, e.g.
``PYTHONPATH=functions:. python -m benchmarks.mask_predictor``."""

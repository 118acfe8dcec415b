"""Clients for the deployed inference functions (offline tooling; never shipped to Lambda)."""

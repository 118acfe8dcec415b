from __future__ import annotations

import pytest

from tools.lambda_cost import CostInputs, monthly_cost


def test_on_demand_cost_is_requests_plus_gb_seconds() -> None:
    inputs = CostInputs(memory_mb=1024, requests_per_month=1_000_000, mean_duration_ms=100)
    # 1M x $0.20/M + 1M x 0.1 s x 1 GB x price
    assert monthly_cost(inputs, architecture="x86_64") == pytest.approx(0.20 + 100_000 * 0.0000166667)
    assert monthly_cost(inputs, architecture="arm64") == pytest.approx(0.20 + 100_000 * 0.0000133334)


def test_keep_warm_pings_are_billed_as_requests() -> None:
    base = CostInputs(memory_mb=512, requests_per_month=0, mean_duration_ms=50)
    warm = CostInputs(memory_mb=512, requests_per_month=0, mean_duration_ms=50, keep_warm_minutes=5)
    pings = 730 * 60 / 5
    expected = pings / 1e6 * 0.20 + pings * 0.001 * 0.5 * 0.0000166667
    assert monthly_cost(base, architecture="x86_64") == 0
    assert monthly_cost(warm, architecture="x86_64") == pytest.approx(expected)


def test_provisioned_concurrency_bills_capacity_for_the_whole_month() -> None:
    inputs = CostInputs(memory_mb=1024, requests_per_month=0, mean_duration_ms=10, provisioned_concurrency=1)
    assert monthly_cost(inputs, architecture="x86_64") == pytest.approx(730 * 3600 * 0.0000041667)

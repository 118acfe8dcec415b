"""Monthly Lambda cost estimate: requests x duration x memory, x86_64 against arm64.

Prices are AWS's published on-demand Lambda prices for us-east-1 (USD); the free tier is
ignored so figures compare like for like. Keep-warm pings are billed like any request;
provisioned concurrency (an autoscaled one at its minimum) per GB-second it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUEST_PRICE_PER_MILLION = 0.20
GB_SECOND_PRICE = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
# With provisioned concurrency, the warm capacity is billed per GB-second it exists and the
# invocations that use it at a lower duration rate.
PROVISIONED_GB_SECOND_PRICE = {"x86_64": 0.0000041667, "arm64": 0.0000033334}
PROVISIONED_DURATION_GB_SECOND_PRICE = {"x86_64": 0.0000097222, "arm64": 0.0000077778}
SECONDS_PER_MONTH = 730 * 3600
KEEP_WARM_PING_MS = 1  # a ping returns before any inference; Lambda bills at least 1 ms


@dataclass(frozen=True, kw_only=True)
class CostInputs:
    memory_mb: int
    requests_per_month: int
    mean_duration_ms: float
    keep_warm_minutes: int | None = None
    # Environments kept initialised all month. Autoscaled provisioned concurrency counts with its
    # minimum (what the alias is deployed with): capacity added above it follows traffic and is
    # not estimated here.
    provisioned_concurrency: int = 0


def monthly_cost(inputs: CostInputs, *, architecture: str) -> float:
    """Estimated USD per month for one function on `architecture` (x86_64 or arm64)."""
    memory_gb = inputs.memory_mb / 1024
    pings = SECONDS_PER_MONTH / 60 / inputs.keep_warm_minutes if inputs.keep_warm_minutes else 0.0
    requests = inputs.requests_per_month + pings
    request_cost = requests / 1_000_000 * REQUEST_PRICE_PER_MILLION
    busy_gb_seconds = (
        (inputs.requests_per_month * inputs.mean_duration_ms + pings * KEEP_WARM_PING_MS) / 1000 * memory_gb
    )
    if inputs.provisioned_concurrency:
        capacity_gb_seconds = inputs.provisioned_concurrency * memory_gb * SECONDS_PER_MONTH
        return (
            request_cost
            + capacity_gb_seconds * PROVISIONED_GB_SECOND_PRICE[architecture]
            + busy_gb_seconds * PROVISIONED_DURATION_GB_SECOND_PRICE[architecture]
        )
    return request_cost + busy_gb_seconds * GB_SECOND_PRICE[architecture]

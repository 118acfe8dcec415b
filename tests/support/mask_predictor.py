"""What the mask_predictor function's tests share besides fixtures (tests/functions/mask_predictor/conftest.py has
those): its paths and environment, and helpers; moved here from that conftest so that test
modules import them from tests.support, never from a conftest."""

from __future__ import annotations

from stacks.common.paths import REPO_ROOT
from tests.support.handlers import lambda_context, runtime_environment
from tools.local_lambda import LocalLambdaContext

MODEL_DIR = REPO_ROOT / "functions" / "mask_predictor" / "model"
EVENTS_DIR = REPO_ROOT / "tests" / "functions" / "mask_predictor" / "events"
# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_DIR": str(MODEL_DIR),
    "MAX_BATCH_NAMES": "1000",
    "MAX_NAME_CHARS": "200",
    "MAX_REQUEST_BYTES": "262144",
    **runtime_environment(service="mask_predictor", function_name="mask-predictor-test"),
}


def mask_context() -> LocalLambdaContext:
    """The context Lambda would pass this function (version 7, 512 MB, 30 s)."""
    return lambda_context("mask-predictor-test", memory_mb=512, timeout_s=30, version="7")

"""What the sentiment function's tests share besides fixtures (tests/functions/sentiment/conftest.py has
those): its paths and environment, and helpers; moved here from that conftest so that test
modules import them from tests.support, never from a conftest."""

from __future__ import annotations

from stacks.common.paths import REPO_ROOT
from tests.support.handlers import runtime_environment

FIXTURE_MODEL_DIR = REPO_ROOT / "fixtures" / "sentiment" / "model"  # int8, as the image ships by default
FIXTURE_FP32_MODEL_DIR = REPO_ROOT / "fixtures" / "sentiment" / "model-fp32"  # the same weights, fp32
FUNCTION_DIR = REPO_ROOT / "functions" / "sentiment"
FUNCTION_NAME = "sentiment-test"
# The function's environment as its stack sets it (limits at their defaults).
FUNCTION_ENVIRONMENT = {
    "MODEL_DIR": str(FIXTURE_MODEL_DIR),
    **runtime_environment(service="sentiment", function_name=FUNCTION_NAME, memory_mb=2048),
}
# Read by the function: must not leak in from the developer's shell.
UNSET_VARIABLES = (
    "MODEL_S3_URI",
    "MAX_TEXTS",
    "MAX_TEXT_CHARS",
    "MAX_REQUEST_BYTES",
    "BATCH_SIZE",
    "INTRA_OP_THREADS",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_DEV",
)

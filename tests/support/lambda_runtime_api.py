"""Moved to tools/lambda_runtime_api.py (`make invoke ARTIFACT=1` uses it too); re-exported here."""

from tools.lambda_runtime_api import (  # noqa: F401
    ACCOUNT_ID,
    ERROR_TYPE_HEADER,
    REGION,
    InitError,
    InvocationResult,
    LambdaRuntimeApi,
    RuntimeGone,
    RuntimeInitFailed,
)

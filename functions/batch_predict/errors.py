"""The batch predictor's own error type; request errors and their one mapping to responses are
lambda_common.errors.

Pipelines (S3 notifications, Step Functions) see a failure as the raised exception's class
name (Lambda's errorType): ValidationError for the caller's mistakes (retrying cannot help),
InternalError for faults of ours (a retry may).
"""

from __future__ import annotations

from lambda_common.errors import RequestError, ValidationError


class InternalError(RuntimeError):
    """A fault of the function or of AWS; the message carries the request id, the logs the traceback."""


def pipeline_error(error: BaseException, *, request_id: str | None) -> Exception:
    """The exception to raise to a pipeline for `error`: its class name is the error type."""
    if isinstance(error, RequestError):
        if type(error).__name__ == error.error_type:
            return error
        return ValidationError(error.message) if error.error_type == "ValidationError" else error
    return InternalError(f"internal error (request id {request_id}): see the function's logs")

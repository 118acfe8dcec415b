"""The sentiment function's own error; request errors and their responses are lambda_common.errors.

ModelError (like ConfigError, lambda_common.env) stops the cold start: Lambda reports an init
error with the message.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """The model directory is unusable: a missing or malformed artifact, or a checksum mismatch."""

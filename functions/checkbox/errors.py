"""The checkbox function's own error; request errors and their responses are lambda_common.errors.

ModelError (like ConfigError, lambda_common.env) stops the cold start: Lambda reports an init
error with the message.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """The model is unusable: missing, not ONNX, or not a YOLO detection graph this function reads."""

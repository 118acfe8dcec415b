"""The configuration fields every image function has (each function's FunctionConfig adds its
own): onnxruntime threads, and its identity as Powertools and Lambda name it.

`dataclasses` at import: image functions only (the ZIP function's config is a namedtuple).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class BaseFunctionConfig:
    intra_op_threads: int = 1
    service_name: str = ""  # each function's default: its own name
    metrics_namespace: str = "MlInference"
    function_name: str | None = None
    function_version: str | None = None

"""onnxruntime session options every ONNX-serving function uses: one request at a time, all
graph optimisations, the threads its memory buys, errors-only logging.

Standard library only at import time: onnxruntime is imported by the call (image functions only).
"""

from __future__ import annotations

# Annotations only: importing `typing` at run time would cost the cold start ~2.5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def session_options(*, intra_op_threads: int) -> Any:
    """An onnxruntime.SessionOptions: `intra_op_threads` for one operator, one operator at a time."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: no optimizer chatter in the function's logs
    return options

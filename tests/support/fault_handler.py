"""A test-only Lambda handler that misbehaves on request, served by `make serve` in the
end-to-end tests (tests/integration/test_local_serve.py adds it to their synthesized assembly).

Requests, as a direct invoke or as the JSON body of a Function URL event:
{"action": "pid"}, {"action": "sleep", "seconds": s[, "started_file": path]}, {"action": "exit", "code": n},
{"action": "allocate", "mb": n, "hold_seconds": s}, {"action": "answer_bytes", "size": n},
{"action": "environment", "names": [...]}, {"action": "log", "message": m[, "repeat": n]} (printed and
logged, for LogType Tail).
Anything else is echoed back: {"echo": <the event>}.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any


def lambda_handler(event: Any, context: Any) -> Any:
    request = _function_url_json_body(event) or event
    action = request.get("action") if isinstance(request, dict) else None
    if action == "pid":
        return {"pid": os.getpid()}
    if action == "sleep":
        if request.get("started_file"):  # tells a test the handler is running
            with open(request["started_file"], "w") as started:
                started.write(str(os.getpid()))
        time.sleep(float(request["seconds"]))
        return {"slept": request["seconds"], "pid": os.getpid()}
    if action == "exit":
        os._exit(int(request.get("code", 1)))
    if action == "allocate":
        block = b"x" * (int(request["mb"]) << 20)  # written, so resident (zeroed pages would not be)
        time.sleep(float(request.get("hold_seconds", 0)))
        return {"allocated_mb": len(block) >> 20}
    if action == "log":
        for number in range(int(request.get("repeat", 1))):
            print(f"printed {number}: {request['message']}")
        logging.getLogger("faults").warning("logged: %s", request["message"])
        return {"logged": request["message"]}
    if action == "answer_bytes":
        return "x" * int(request["size"])
    if action == "environment":
        return {
            "variables": {name: os.environ.get(name) for name in request["names"]},
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "function_name": context.function_name,
            "invoked_function_arn": context.invoked_function_arn,
        }
    return {"echo": event}


def _function_url_json_body(event: Any) -> Any:
    if not (isinstance(event, dict) and "requestContext" in event and event.get("body")):
        return None
    if event.get("isBase64Encoded"):
        return None
    try:
        return json.loads(event["body"])
    except ValueError:
        return None

"""The Lambda Invoke API front door: ``POST /2015-03-31/functions/{name}/invocations``.

What an unmodified boto3 Lambda client (``endpoint_url=`` or ``AWS_ENDPOINT_URL_LAMBDA``) sees:
- ``RequestResponse`` (default): 200 with the function's answer; a failed invocation (raised,
  timed out, crashed, out of memory) adds ``X-Amz-Function-Error: Unhandled`` and Lambda's
  error document as the payload;
- ``Event``: 202 at once, the invocation queued (runtime.py);
- ``DryRun``: 204 after the checks;
- refusals, as Lambda: 404 ResourceNotFoundException (unknown function or qualifier),
  413 RequestTooLargeException (over 6 MB, or 1 MB for Event), 400
  InvalidRequestContentException (not JSON), 400 InvalidParameterValueException.
Functions are named as deployed (``mask-predictor-dev``), by name, ``name:qualifier`` or ARN;
qualifiers accepted: none, ``$LATEST`` and the aliases the template declares (``live``).
``X-Amz-Log-Type: Tail`` (boto3's ``LogType="Tail"``) adds ``X-Amz-Log-Result``: the last 4 KB
of the invocation's log (START, what the function printed or logged, END, REPORT), base64.

Discovery (GET): ListFunctions, GetFunction, GetFunctionConfiguration, ListAliases and GetAlias,
from the synthesized templates (discovery.py).
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.discovery import Discovery, parse_discovery_path
from tools.local_serve.http_server import Request
from tools.local_serve.invoke_protocol import Answer
from tools.local_serve.runtime import LocalRuntime


class InvokeApi:
    def __init__(self, runtime: LocalRuntime, *, cdk_out: Path | None = None) -> None:
        """`cdk_out`: the assembly the functions come from (discovery reads the templates'
        role, layers, tags... from it; without it those are left out)."""
        self._runtime = runtime
        self._discovery = Discovery(lambda: [f.served for f in runtime.functions], cdk_out=cdk_out)

    def respond(self, request: Request) -> Answer:
        if request.method == "GET":
            discovery = parse_discovery_path(request.path)
            return protocol.unknown_operation() if discovery is None else self._discovery.respond(discovery)
        target = protocol.parse_invoke_path(request.path) if request.method == "POST" else None
        if target is None:
            return protocol.unknown_operation()
        function = self._runtime.get(target.function_name)
        if function is None or not function.served.accepts_qualifier(target.qualifier):
            return protocol.function_not_found(protocol.function_arn(target.function_name, target.qualifier))
        if request.body is None:
            return protocol.error_answer(
                HTTPStatus.LENGTH_REQUIRED, "InvalidRequestContentException", "Content-Length required"
            )
        invocation_type = request.headers.get("X-Amz-Invocation-Type") or protocol.REQUEST_RESPONSE
        if invocation_type not in protocol.INVOCATION_TYPES:
            return protocol.invalid_invocation_type(invocation_type)
        log_type = request.headers.get("X-Amz-Log-Type") or "None"
        if log_type not in protocol.LOG_TYPES:
            return protocol.invalid_log_type(log_type)
        limit = (
            protocol.ASYNC_REQUEST_LIMIT_BYTES if invocation_type == protocol.EVENT else protocol.REQUEST_LIMIT_BYTES
        )
        if len(request.body) > limit:
            return protocol.request_too_large(limit)
        _, refusal = protocol.decode_payload(request.body)
        if refusal is not None:
            return refusal

        invocation = function.invocation(request.body, qualifier=target.qualifier)
        if invocation_type == protocol.DRY_RUN:
            return protocol.dry_run_ok(invocation.request_id)
        if invocation_type == protocol.EVENT:
            function.enqueue(invocation)
            return protocol.accepted(invocation.request_id)
        outcome = function.invoke(invocation)
        return protocol.invoked(
            body=outcome.body,
            function_error=outcome.function_error,
            request_id=invocation.request_id,
            executed_version=invocation.function_version,
            log=outcome.log if log_type == "Tail" else None,
        )

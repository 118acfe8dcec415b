"""The HTTP front door: one route prefix per function, events as its AWS front door sends them.

    /<prefix>/<path>   e.g. /mask-predictor/predict, /sentiment/health, /checkbox/predict
    GET /              this server's routes, functions and worker pids, as JSON

A function behind a REST API gets API Gateway's behaviour for what the template declares:
only its resource paths and methods (else 403 "Missing Authentication Token"), the API key
header when methods require one (any non-empty ``x-api-key`` is accepted locally, else 403
"Forbidden"), required headers (400), binary media types (base64 body), stage name. Other
functions get a Function URL's behaviour (no SigV4 check locally: loopback only). Both
refuse an event over Lambda's 6 MB with 413 and answer a failed invocation as their AWS
counterpart does (502; 504 for a REST API timeout). See http_events.py for the shapes.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from tools.local_serve import http_events
from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.catalog import RestApi
from tools.local_serve.http_server import Request
from tools.local_serve.invoke_protocol import Answer
from tools.local_serve.runtime import LocalFunction, LocalRuntime


class HttpRoutes:
    def __init__(self, runtime: LocalRuntime) -> None:
        self._runtime = runtime
        self._by_prefix: dict[str, LocalFunction] = {}
        for function in runtime.functions:
            if function.served.http_kind is not None:
                prefix = function.served.route_prefix
                if prefix in self._by_prefix:  # two functions from one folder: the name tells them apart
                    prefix = f"/{function.name}"
                self._by_prefix[prefix] = function
        self._prefix_of = {function.name: prefix for prefix, function in self._by_prefix.items()}

    def prefix_of(self, function_name: str) -> str | None:
        """The route prefix of a function; None when it has no HTTP route."""
        return self._prefix_of.get(function_name)

    def routes(self) -> dict[str, str]:
        """Route prefix -> what it is, for the banner and the index."""
        described = {}
        for prefix, function in self._by_prefix.items():
            served = function.served
            if served.rest_api is not None:
                methods = ", ".join(f"{r.method} {r.path}" for r in served.rest_api.routes)
                described[prefix] = f"{served.name}: REST API {served.rest_api.name} (proxy v1): {methods}"
            elif served.function_url is not None:
                described[prefix] = f"{served.name}: Function URL (payload 2.0)"
            else:
                described[prefix] = f"{served.name}: equivalent to a Function URL (payload 2.0), local only"
        return described

    def respond(self, request: Request) -> Answer:
        path, query = http_events.split_target(request.path)
        if path == "/" and request.method in ("GET", "HEAD"):
            return _json(HTTPStatus.OK, self._index())
        prefix = "/" + path.lstrip("/").split("/", 1)[0]
        function = self._by_prefix.get(prefix)
        if function is None:
            return _json(
                HTTPStatus.NOT_FOUND,
                {
                    "message": f"no route {path[:100]!r}: use one of {', '.join(sorted(self._by_prefix))} (GET / lists them)"
                },
            )
        http_request = http_events.HttpRequest.from_wire(
            method=request.method,
            path=path[len(prefix) :] or "/",
            query=query,
            headers=request.headers,
            body=request.body,
            source_ip=request.client_ip,
            protocol=request.protocol,
            request_id=protocol.new_request_id(),
        )
        rest_api = function.served.rest_api
        if rest_api is not None:
            return self._rest_proxy(function, rest_api, http_request)
        return self._function_url(function, http_request)

    def _function_url(self, function: LocalFunction, request: http_events.HttpRequest) -> Answer:
        payload = _encode(http_events.function_url_event(request))
        if len(payload) > protocol.REQUEST_LIMIT_BYTES:
            return Answer(
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                body=b"Request Entity Too Large",
                headers=(("Content-Type", "text/plain"),),
            )
        outcome = function.invoke(function.invocation(payload, qualifier=function.served.http_qualifier))
        return http_events.function_url_answer(outcome.body, failed=outcome.function_error is not None)

    def _rest_proxy(self, function: LocalFunction, api: RestApi, request: http_events.HttpRequest) -> Answer:
        request_id = request.request_id
        route = api.route(request.path.rstrip("/") or "/", request.method)
        if route is None:
            return http_events.gateway_error(HTTPStatus.FORBIDDEN, "Missing Authentication Token", request_id)
        api_key = request.header("x-api-key")
        if route.api_key_required and not api_key:
            return http_events.gateway_error(HTTPStatus.FORBIDDEN, "Forbidden", request_id)
        missing = [name for name in route.required_headers if not request.header(name)]
        if missing:
            return http_events.gateway_error(
                HTTPStatus.BAD_REQUEST, f"Missing required request parameters: [{', '.join(missing)}]", request_id
            )
        event = http_events.rest_proxy_event(
            request, resource=route.path, stage=api.stage, binary_media_types=api.binary_media_types, api_key=api_key
        )
        payload = _encode(event)
        if len(payload) > protocol.REQUEST_LIMIT_BYTES:
            return http_events.gateway_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long", request_id)
        outcome = function.invoke(function.invocation(payload, qualifier=function.served.http_qualifier))
        return http_events.rest_proxy_answer(
            outcome.body, failed=outcome.function_error is not None, timed_out=outcome.timed_out, request_id=request_id
        )

    def _index(self) -> dict[str, Any]:
        return {
            "routes": self.routes(),
            "functions": {
                function.name: {
                    "memory_mb": function.memory_mb,
                    "timeout_seconds": function.timeout_seconds,
                    "worker_pids": [worker.pid for worker in function.pool.workers()],
                    "workers_replaced": function.pool.replacements,
                    "aliases": list(function.served.aliases),
                }
                for function in self._runtime.functions
            },
        }


def _encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(status: int, body: dict[str, Any]) -> Answer:
    return Answer(
        status=status, body=json.dumps(body, indent=2).encode(), headers=(("Content-Type", "application/json"),)
    )

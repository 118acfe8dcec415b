"""HTTP requests as the events Lambda delivers, and the function's answers as HTTP responses.

Two event shapes, as AWS documents them:
- Function URL, payload format 2.0 (``requestContext.http``). The body is passed as text for
  textual content types and base64-encoded (``isBase64Encoded: true``) for anything else.
  Answer: ``{"statusCode", "headers", "body", "isBase64Encoded", "cookies"}``; an answer without
  ``statusCode`` is sent as a 200 application/json of the whole answer. A failed invocation
  is a 502 "Internal Server Error".
- API Gateway REST API proxy integration, payload format 1.0 (``httpMethod``, ``resource``).
  The body is base64-encoded when the request's Content-Type matches one of the API's binary
  media types. Answer: ``{"statusCode", "headers", "multiValueHeaders", "body",
  "isBase64Encoded"}``; a failed invocation or a malformed answer is a 502
  ``{"message": "Internal server error"}``, a timeout a 504.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tools.local_serve.invoke_protocol import ACCOUNT_ID, Answer

LOCAL_API_ID = "local"
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
)
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True, kw_only=True)
class HttpRequest:
    """A request to a function's HTTP front door, with the route prefix already removed."""

    method: str
    path: str  # e.g. "/predict" (always starts with "/")
    query: str  # the raw query string, without "?"
    headers: Sequence[tuple[str, str]]  # as received, in order, names as sent
    body: bytes
    source_ip: str
    protocol: str
    request_id: str

    @classmethod
    def from_wire(
        cls,
        *,
        method: str,
        path: str,
        query: str,
        headers: Message,
        body: bytes | None,
        source_ip: str,
        protocol: str,
        request_id: str,
    ) -> HttpRequest:
        return cls(
            method=method.upper(),
            path=path or "/",
            query=query,
            headers=[(name, value) for name, value in headers.items()],
            body=body or b"",
            source_ip=source_ip,
            protocol=protocol,
            request_id=request_id,
        )

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


def split_target(target: str) -> tuple[str, str]:
    """Path and query string of a request line's target."""
    url = urlsplit(target)
    return url.path or "/", url.query


# -- Function URL (payload format 2.0) --------------------------------------------------------


def function_url_event(request: HttpRequest) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    domain = headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": LOCAL_API_ID,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if request.body:
        if _is_text(request.header("content-type")):
            event["body"] = request.body.decode("utf-8", "replace")
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def function_url_answer(result: bytes, *, failed: bool) -> Answer:
    if failed:
        return _plain(HTTPStatus.BAD_GATEWAY, "Internal Server Error")
    try:
        value = json.loads(result)
    except ValueError:
        return _plain(HTTPStatus.BAD_GATEWAY, "Internal Server Error")
    if not (isinstance(value, dict) and "statusCode" in value):
        return Answer(status=HTTPStatus.OK, body=result, headers=(("Content-Type", "application/json"),))
    try:
        status = int(value["statusCode"])
        headers = [(str(k), str(v)) for k, v in (value.get("headers") or {}).items()]
        headers += [("Set-Cookie", str(cookie)) for cookie in value.get("cookies") or []]
        body = _answer_body(value)
    except (TypeError, ValueError, AttributeError):
        return _plain(HTTPStatus.BAD_GATEWAY, "Internal Server Error")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Answer(status=status, body=body, headers=tuple(headers))


# -- REST API proxy integration (payload format 1.0) ------------------------------------------


def rest_proxy_event(
    request: HttpRequest, *, resource: str, stage: str, binary_media_types: Sequence[str], api_key: str | None
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value  # API Gateway keeps the last value, names as sent
        multi_headers.setdefault(name, []).append(value)
    pairs = parse_qsl(request.query, keep_blank_values=True)
    query = {name: value for name, value in pairs} or None
    multi_query: dict[str, list[str]] = {}
    for name, value in pairs:
        multi_query.setdefault(name, []).append(value)
    now = time.time()
    body: str | None = None
    is_base64 = False
    if request.body:
        if _matches_binary(request.header("content-type"), binary_media_types):
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
        else:
            body = request.body.decode("utf-8", "replace")
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": LOCAL_API_ID,
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request.request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{request.path}",
            "accountId": ACCOUNT_ID,
            "protocol": request.protocol,
            "stage": stage,
            "domainPrefix": LOCAL_API_ID,
            "requestTimeEpoch": int(now * 1000),
            "requestId": request.request_id,
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.header("user-agent"),
                "apiKey": api_key,
                "apiKeyId": "local" if api_key else None,
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
            },
            "domainName": request.header("host") or "localhost",
            "apiId": LOCAL_API_ID,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def rest_proxy_answer(result: bytes, *, failed: bool, timed_out: bool, request_id: str) -> Answer:
    if timed_out:
        return _gateway_message(HTTPStatus.GATEWAY_TIMEOUT, "Endpoint request timed out", request_id)
    if failed:
        return _gateway_message(HTTPStatus.BAD_GATEWAY, "Internal server error", request_id)
    try:
        value = json.loads(result)
        status = int(value["statusCode"])
        headers = [(str(k), str(v)) for k, v in (value.get("headers") or {}).items()]
        for name, values in (value.get("multiValueHeaders") or {}).items():
            if not any(k.lower() == str(name).lower() for k, _ in headers):
                headers += [(str(name), str(v)) for v in values]
        body = _answer_body(value)
    except (ValueError, TypeError, KeyError, AttributeError):  # a malformed proxy answer
        return _gateway_message(HTTPStatus.BAD_GATEWAY, "Internal server error", request_id)
    headers.append(("x-amzn-RequestId", request_id))
    return Answer(status=status, body=body, headers=tuple(headers))


def gateway_error(status: int, message: str, request_id: str) -> Answer:
    """API Gateway's own refusals: unknown route, missing API key, missing header..."""
    return _gateway_message(status, message, request_id)


# -- helpers ----------------------------------------------------------------------------------


def _answer_body(value: dict[str, Any]) -> bytes:
    body = value.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)
    if value.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True  # no type: Function URLs pass the body as it is
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)


def _matches_binary(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in binary_media_types)


def _plain(status: int, text: str) -> Answer:
    return Answer(status=status, body=text.encode(), headers=(("Content-Type", "text/plain"),))


def _gateway_message(status: int, message: str, request_id: str) -> Answer:
    return Answer(
        status=status,
        body=json.dumps({"message": message}).encode(),
        headers=(
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", _GATEWAY_ERROR_TYPES.get(status, "")),
        ),
    )


_GATEWAY_ERROR_TYPES: dict[int, str] = {
    HTTPStatus.FORBIDDEN: "ForbiddenException",
    HTTPStatus.BAD_REQUEST: "BadRequestException",
    HTTPStatus.BAD_GATEWAY: "InternalServerErrorException",
    HTTPStatus.GATEWAY_TIMEOUT: "InternalServerErrorException",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "RequestTooLargeException",
}

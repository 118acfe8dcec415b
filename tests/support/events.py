"""Events as Lambda delivers them to the functions: Function URL requests (payload 2.0), API
Gateway REST proxy requests (payload 1.0, as stage `v1` of an API-key-protected API delivers
them), multipart bodies, and reading a REST proxy response's JSON body."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any


def function_url_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    *,
    base64_encoded: bool = False,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0) as Lambda delivers it."""
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii") if base64_encoded else body.decode("utf-8")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": content_type,
            "host": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "user-agent": "python-requests/2.32",
            "x-amzn-trace-id": "Root=1-65f0c0de-0123456789abcdef01234567",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "authorizer": {
                "iam": {
                    "accessKey": "AKIAEXAMPLE",
                    "accountId": "123456789012",
                    "callerId": "AIDAEXAMPLE",
                    "userArn": "arn:aws:iam::123456789012:user/backend",
                    "userId": "AIDAEXAMPLE",
                }
            },
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "python-requests/2.32",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795492800000,
        },
        "isBase64Encoded": base64_encoded,
    }
    if body is not None:
        event["body"] = body
    return event


API_ID = "a1b2c3d4e5"
STAGE = "v1"


def rest_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    *,
    content_type: str | None = None,
    query: dict[str, str] | None = None,
    binary: bool | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0) as Lambda receives it from stage v1 of
    an API-key-protected API. Bytes bodies arrive base64-encoded (the API declares
    multipart/form-data and image/* binary media types); text bodies as they are, unless
    `binary` says otherwise."""
    encoded = isinstance(body, bytes) if binary is None else binary
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii") if encoded else body.decode("utf-8")
    elif isinstance(body, str) and encoded:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    request_id = str(uuid.uuid4())
    headers = {
        "Accept": "*/*",
        "Host": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": "Root=1-67a0c0de-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "x-api-key": "k3yV4lue0123456789abcdefghijklmnopqrstuv",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    if body is not None:
        headers["Content-Length"] = str(len(base64.b64decode(body)) if encoded else len(body.encode()))
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "authorizer": None,
            "domainName": f"{API_ID}.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": API_ID,
            "extendedRequestId": "Ab1CdEfGhIjKlM=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "apiKey": "k3yV4lue0123456789abcdefghijklmnopqrstuv",
                "apiKeyId": "abc123defg",
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "curl/8.5.0",
                "userArn": None,
            },
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": "24/Nov/2026:04:00:00 +0000",
            "requestTimeEpoch": 1795492800000,
            "resourceId": "x1y2z3",
            "resourcePath": path,
            "stage": STAGE,
        },
        "body": body,
        "isBase64Encoded": bool(encoded and body is not None),
    }


def multipart(fields: dict[str, str | tuple[str, bytes, str]], *, boundary: str | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body as browsers and curl write it: (body, Content-Type header).
    A field is text, or (filename, content, content type) for a file."""
    boundary = boundary or f"----WebKitFormBoundary{uuid.uuid4().hex[:16]}"
    chunks = []
    for name, value in fields.items():
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, content, content_type = value
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            chunks.append(content)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def json_body(response: dict[str, Any]) -> Any:
    assert isinstance(response["body"], str)
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    return json.loads(response["body"])

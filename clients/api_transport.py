"""HTTP to an API Gateway REST API (or anything answering like one), with authentication and retries.

Standard library HTTP (urllib) plus botocore's SigV4 signer, both in the dev environment; no
other HTTP stack.

Authentication, one of:
- `ApiKeyAuth(key)`: the `x-api-key` header of a usage plan (the stack's default, auth="api_key");
- `SigV4Auth(...)`: IAM (auth="iam"), every request signed for the service "execute-api" with
  the given or the default botocore credentials (environment, profile, SSO, instance role...).
Presigned S3 URLs carry their own signature in the query: they are sent with `auth=None`.

Retries (`RetryPolicy`): a 429 or any 5xx answer, and a request that got no answer at all
(refused, reset, timed out), are sent again, at most `max_attempts` times in all. Between
attempts: the answer's Retry-After (seconds or an HTTP date) when it has one, capped at
`max_delay_seconds`, else exponential backoff with full jitter: a uniform random delay in
[0, min(max_delay, base * 2**retry)]. Every request these clients send may be repeated:
POST /uploads issues a new key, POST /predict has no side effect.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clients.errors import EndpointUnreachableError

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay_seconds < 0 or self.max_delay_seconds < 0:
            raise ValueError("retry delays must be >= 0")

    def delay(self, retry: int, retry_after: str | None, *, uniform: Callable[[float, float], float]) -> float:
        """Seconds to wait before retry number `retry` (0 for the first retry)."""
        announced = parse_retry_after(retry_after)
        if announced is not None:
            return min(announced, self.max_delay_seconds)
        return uniform(0.0, min(self.max_delay_seconds, self.base_delay_seconds * 2**retry))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ApiKeyAuth:
    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise ValueError("api_key is empty: pass the key value (aws apigateway get-api-key --include-value)")
        self._api_key = api_key

    def headers(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        return {**headers, "x-api-key": self._api_key}


class SigV4Auth:
    """IAM: SigV4 for "execute-api" in the API's region (read from its execute-api host name
    unless given). Credentials: these, or botocore's default chain, refreshed as they expire."""

    SERVICE = "execute-api"

    def __init__(self, *, region: str | None = None, credentials: Any = None, url: str | None = None) -> None:
        import botocore.session

        session = botocore.session.Session()
        self._credentials = credentials or session.get_credentials()
        if self._credentials is None:
            raise ValueError("no AWS credentials found for SigV4: configure a profile, environment variables or SSO")
        self.region = region or (region_of(url) if url else None) or session.get_config_variable("region")
        if not self.region:
            raise ValueError("the API's region is unknown: pass region=, or use its execute-api URL")

    def headers(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth as BotocoreSigV4
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        BotocoreSigV4(self._credentials, self.SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())


def region_of(url: str) -> str | None:
    host = urllib.parse.urlparse(url).hostname or ""
    match = _EXECUTE_API_HOST.search(host)
    return match.group(1) if match else None


@dataclass(kw_only=True)
class Transport:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 60.0
    # Seams for the retry tests: how to wait, and the jitter's random source.
    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] = random.uniform

    def send(
        self, method: str, url: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None, auth: Any = None
    ) -> HttpAnswer:
        """The final answer (2xx, 4xx, or a 5xx/429 still failing after the retries)."""
        for attempt in range(self.retry.max_attempts):
            last = attempt == self.retry.max_attempts - 1
            # Signed again per attempt: a SigV4 signature is only valid for a few minutes.
            sent = auth.headers(method, url, body, dict(headers or {})) if auth else dict(headers or {})
            try:
                answer = self._once(method, url, body, sent)
            # No answer at all (HTTPError, an answer, is handled in _once): refused, reset, cut short, timed out.
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                if last:
                    reason = getattr(error, "reason", None) or error
                    raise EndpointUnreachableError(
                        url=_without_query(url), reason=str(reason), attempts=attempt + 1
                    ) from error
                self.sleep(self.retry.delay(attempt, None, uniform=self.uniform))
                continue
            if answer.status not in RETRIED_STATUSES or last:
                return answer
            self.sleep(self.retry.delay(attempt, answer.headers.get("retry-after"), uniform=self.uniform))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _once(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        request = urllib.request.Request(
            url, data=body if method != "GET" else None, method=method, headers=dict(headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return HttpAnswer(status=response.status, headers=_lower(response.headers), body=response.read())
        except urllib.error.HTTPError as error:
            with error:
                return HttpAnswer(status=error.code, headers=_lower(error.headers), body=error.read())


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers.items() if headers else [])}


def _without_query(url: str) -> str:
    """A URL fit for an error message: a presigned URL's query holds its signature."""
    return url.split("?", 1)[0]

"""Sending hostile requests to the running local server and judging its answers (tests/hostile).

Every request goes through `HostileClient`, which classifies the answer and records it in a
`Tally` (printed at the end of the session, see tests/hostile/conftest.py):

- HTTP routes: the response's status class. A 5xx is a fault (a failed invocation is a 502
  from the Function URL or the REST API, a timeout a 504).
- Lambda's Invoke API (boto3, no retries): Lambda's own refusals (413 RequestTooLarge, 400
  InvalidRequestContent...) are answers of their status class. A completed invocation is
  judged by the function's answer: its `statusCode` (mask, sentiment, checkbox, direct batch
  jobs), 2xx without one. `X-Amz-Function-Error: Unhandled` is a fault, except where raising
  is the contract: a pipeline event (S3 notification, Step Functions) of the batch predictor
  refused with errorType "ValidationError" is that function's 400.

A 4xx must say what to fix: its body carries a non-empty "error" (or, for API Gateway's own
refusals, "message"); only Lambda's 413 for a request over 6 MB may be plain text.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

REQUEST_TIMEOUT_SECONDS = 60
PIPELINE_ENTRIES = ("invoke:s3", "invoke:sfn")


@dataclass(frozen=True)
class Outcome:
    function: str
    entry: str  # "http", "invoke", "invoke:s3", "invoke:sfn"
    status: int  # HTTP status, or the function's statusCode; 599 for no answer at all
    fault: bool  # 5xx, Unhandled function error, or no answer
    message: str  # what the answer says (the 4xx's reason), "" if nothing
    detail: str  # for failure reports: the answer, shortened

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx"

    def problem(self) -> str | None:
        """Why this answer is not acceptable for a hostile request, or None."""
        if self.fault:
            return f"fault: {self.detail}"
        # 413 is Lambda's documented payload limit; the Function URL answers it in plain text.
        if 400 <= self.status < 500 and self.status != 413 and not self.message.strip():
            return f"a {self.status} that does not say what to fix: {self.detail}"
        if not 200 <= self.status < 500:
            return f"status {self.status}: {self.detail}"
        return None


@dataclass
class Tally:
    counts: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def record(self, outcome: Outcome) -> None:
        counter = self.counts[(outcome.function, outcome.entry)]
        counter["sent"] += 1
        counter[outcome.status_class] += 1
        if outcome.fault:
            counter["faults"] += 1

    def total(self, key: str) -> int:
        return sum(counter[key] for counter in self.counts.values())

    def lines(self) -> list[str]:
        header = f"{'function':<16} {'entry':<11} {'sent':>6} {'2xx':>6} {'4xx':>6} {'5xx':>6} {'faults':>7}"
        rows = [header, "-" * len(header)]
        for (function, entry), counter in sorted(self.counts.items()):
            rows.append(
                f"{function:<16} {entry:<11} {counter['sent']:>6} {counter['2xx']:>6} {counter['4xx']:>6}"
                f" {counter['5xx']:>6} {counter['faults']:>7}"
            )
        rows.append("-" * len(header))
        rows.append(
            f"{'total':<28} {self.total('sent'):>6} {self.total('2xx'):>6} {self.total('4xx'):>6}"
            f" {self.total('5xx'):>6} {self.total('faults'):>7}"
        )
        return rows


TALLY = Tally()


def _shorten(data: Any, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return text if len(text) <= limit else text[:limit] + "..."


def _error_text(value: Any) -> str:
    """The reason in an error body: {"error": ...} or API Gateway's {"message": ...}."""
    if isinstance(value, dict):
        for key in ("error", "message", "errorMessage"):
            if isinstance(value.get(key), str):
                return value[key]
    return ""


class HostileClient:
    def __init__(self, *, http_base: str, lambda_client: Any, names: dict[str, str], tally: Tally = TALLY) -> None:
        self.http_base = http_base
        self.lambda_client = lambda_client
        self.names = names  # folder -> served function name
        self.tally = tally

    # -- HTTP routes ---------------------------------------------------------------------------

    def http(
        self, function: str, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Outcome:
        parts = urllib.parse.urlsplit(self.http_base + path)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT_SECONDS)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            status, answer = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            return self._record(Outcome(function, "http", 599, True, "", f"no answer: {error!r}"))
        finally:
            connection.close()
        try:
            message = _error_text(json.loads(answer))
        except ValueError:
            message = ""
        return self._record(Outcome(function, "http", status, status >= 500, message, f"{status} {_shorten(answer)}"))

    # -- Lambda's Invoke API -------------------------------------------------------------------

    def invoke(self, function: str, payload: bytes | Any, *, entry: str = "invoke") -> Outcome:
        """`payload`: bytes as sent, or a value sent as its JSON (NaN and lone surrogates
        are written the way Python's json writes them)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        try:
            response = self.lambda_client.invoke(FunctionName=self.names[function], Payload=data)
        except ClientError as error:  # Lambda's own refusal of the request
            status = int(error.response["ResponseMetadata"]["HTTPStatusCode"])
            message = str(error.response.get("Error", {}).get("Message", ""))
            code = error.response.get("Error", {}).get("Code", "")
            return self._record(Outcome(function, entry, status, status >= 500, message, f"{status} {code}: {message}"))
        except (BotoCoreError, OSError) as error:  # a timeout, a dropped connection
            return self._record(Outcome(function, entry, 599, True, "", f"no answer: {error!r}"))
        raw = response["Payload"].read()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            return self._record(Outcome(function, entry, 599, True, "", f"answer is not JSON: {_shorten(raw)}"))
        if response.get("FunctionError"):
            error_type = answer.get("errorType") if isinstance(answer, dict) else None
            message = _error_text(answer)
            if entry in PIPELINE_ENTRIES and error_type == "ValidationError":
                return self._record(Outcome(function, entry, 400, False, message, f"raised ValidationError: {message}"))
            return self._record(
                Outcome(function, entry, 500, True, message, f"Unhandled {error_type}: {_shorten(answer)}")
            )
        return self._record(self._judge_answer(function, entry, answer))

    def _judge_answer(self, function: str, entry: str, answer: Any) -> Outcome:
        if not (isinstance(answer, dict) and "statusCode" in answer):
            return Outcome(function, entry, 200, False, "", _shorten(answer))
        try:
            status = int(answer["statusCode"])
        except (TypeError, ValueError):
            return Outcome(function, entry, 599, True, "", f"statusCode is not a number: {_shorten(answer)}")
        body = answer.get("body")
        if isinstance(body, str):  # an HTTP-shaped answer (Function URL, REST proxy)
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        message = _error_text(answer) or _error_text(body)
        return Outcome(function, entry, status, status >= 500, message, _shorten(answer))

    def _record(self, outcome: Outcome) -> Outcome:
        self.tally.record(outcome)
        if outcome.problem():
            self.tally.problems.append(f"{outcome.function} {outcome.entry}: {outcome.problem()}")
        return outcome

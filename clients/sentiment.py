"""Client for the sentiment function, with an offline lexicon fallback: ``analyse``, ``analyse_one``.

The ingestion backend calls ``analyse(texts)`` with any number of texts and always gets one
result per text, in order, in the function's shape plus where it came from::

    {"sentiment": "positive" | "negative", "score": 0.5..1.0, "source": "lambda" | "fallback"}

Texts go to the deployed function in invocations of at most ``batch_size`` texts (50) whose
request is never larger than ``max_request_bytes`` (the function's MAX_REQUEST_BYTES, 5 MB by
default) nor Lambda's 6 MB synchronous limit. The Lambda client retries throttling (429),
5xx answers and connection errors with exponential backoff and jitter (botocore "standard"
mode, ``max_attempts`` in all) and times out (connect 5 s, read 65 s: longer than the function's
60 s timeout, so a slow invocation is not retried while it still runs).

Fallback. When the function is disabled by configuration, or when an invocation fails for a
reason that is not the caller's (function not found, still throttled after the retries, a
timeout or connection error, a 5xx or an unhandled error in the function, an answer that is
not the contract's), the texts not yet analysed are analysed by the fallback analyser (by
default the lexicon analyser of clients/lexicon_analyser.py, which works offline), and one
WARNING is logged for that call saying what failed: one line per failed ``analyse`` call,
never one per text. Texts of earlier invocations of the same call keep their function
results; the next call tries the function again. A disabled client logs one WARNING, at its
first ``analyse`` call.

Errors that are the caller's are NOT hidden by the fallback: they raise, whatever the
configuration, because a lexicon answer would silently mask a bug in the caller:
- ``TypeError``: ``texts`` is a single string, or an item is not a string (checked before
  anything is sent, so the same call fails the same way with the function on or off);
- ``SentimentRequestError``: the function answered 400/413 (e.g. a text longer than its
  MAX_TEXT_CHARS, or limits configured below the function's); the function's message says
  what to fix, ``batch_start`` says where its indexes start in the caller's list.
Missing or expired credentials and access denied count as the function failing (fallback and
a warning that names the error code): the ingestion must go on while someone fixes the role.

Configuration (``SentimentClientConfig.from_environ``), all optional:

| variable                      | default                   | meaning                               |
|-------------------------------|---------------------------|---------------------------------------|
| SENTIMENT_FUNCTION_ENABLED    | true if a name is set     | true/false (1/0, yes/no, on/off)      |
| SENTIMENT_FUNCTION_NAME       | (none)                    | name or ARN: the stack's output       |
| SENTIMENT_FUNCTION_REGION     | boto3's (AWS_REGION...)   | region of the function                |
| SENTIMENT_FUNCTION_QUALIFIER  | (none: $LATEST)           | version or alias                      |
| SENTIMENT_BATCH_SIZE          | 50                        | texts per invocation (<= MAX_TEXTS)   |
| SENTIMENT_MAX_REQUEST_BYTES   | 5000000                   | the function's MAX_REQUEST_BYTES      |

Usage::

    client = SentimentClient(SentimentClientConfig.from_environ())
    client.analyse(["I love this!", "This is terrible"])
    client.analyse_one("Not bad at all")
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from clients.errors import (
    FunctionClientError,
    FunctionFailedError,
    FunctionNotFoundError,
    FunctionRequestError,
)
from clients.lambda_invoke import (
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT_SECONDS,
    SYNC_REQUEST_LIMIT_BYTES,
    InvokeResponse,
    LambdaFunction,
    create_lambda_client,
    encode_json,
)
from clients.lexicon_analyser import LexiconAnalyser

ENV_ENABLED = "SENTIMENT_FUNCTION_ENABLED"
ENV_FUNCTION_NAME = "SENTIMENT_FUNCTION_NAME"
ENV_REGION = "SENTIMENT_FUNCTION_REGION"
ENV_QUALIFIER = "SENTIMENT_FUNCTION_QUALIFIER"
ENV_BATCH_SIZE = "SENTIMENT_BATCH_SIZE"
ENV_MAX_REQUEST_BYTES = "SENTIMENT_MAX_REQUEST_BYTES"

DEFAULT_BATCH_SIZE = 50  # what callers have always sent per invocation
# The function's own defaults (its MAX_TEXTS and MAX_REQUEST_BYTES environment variables).
FUNCTION_MAX_TEXTS = 256
DEFAULT_MAX_REQUEST_BYTES = 5_000_000

SOURCE_LAMBDA = "lambda"
SOURCE_FALLBACK = "fallback"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
REQUEST_ENVELOPE_BYTES = len(encode_json({"texts": []}))

SentimentResult = dict[str, Any]


class SentimentAnalyser(Protocol):
    """What a fallback provides: one ``{"sentiment", "score"}`` dict per text, in order."""

    def analyse(self, texts: Sequence[str]) -> list[dict[str, Any]]: ...


class SentimentRequestError(FunctionRequestError):
    """The function rejected the request (400 ValidationError, 413 PayloadTooLarge).

    ``message`` is the function's own; its indexes (``texts[3]``) count from ``batch_start``
    in the list given to ``analyse``. Never answered by the fallback: fix the request.
    """

    def __init__(self, *, message: str, status_code: int, error_type: str, batch_start: int) -> None:
        super().__init__(message=message, status_code=status_code, error_type=error_type)
        self.batch_start = batch_start
        if batch_start:
            self.args = (f"{self.args[0]} (in the invocation starting at texts[{batch_start}])",)


class SentimentFunctionError(FunctionFailedError):
    """The function failed (unhandled error, 5xx, an answer off the contract). ``analyse``
    answers these with the fallback; only ``health_check`` raises them."""


@dataclass(frozen=True, kw_only=True)
class SentimentClientConfig:
    """Which function to call, if any, and how to split texts into invocations."""

    enabled: bool
    function_name: str | None = None
    region_name: str | None = None  # None: boto3's default (AWS_REGION, the profile...)
    qualifier: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # first try included
    connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if self.enabled and not self.function_name:
            raise ValueError(
                f"the sentiment function is enabled but has no name: set {ENV_FUNCTION_NAME}"
                f" (or {ENV_ENABLED}=false to use the lexicon fallback only)"
            )
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError(f"batch_size must be within 1..10000, got {self.batch_size}")
        if not REQUEST_ENVELOPE_BYTES < self.max_request_bytes <= SYNC_REQUEST_LIMIT_BYTES:
            raise ValueError(
                f"max_request_bytes must be within {REQUEST_ENVELOPE_BYTES + 1}..{SYNC_REQUEST_LIMIT_BYTES}"
                f" (Lambda's synchronous limit), got {self.max_request_bytes}"
            )
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SentimentClientConfig:
        """The configuration from SENTIMENT_* variables (see the module's table).

        Unset SENTIMENT_FUNCTION_ENABLED means "on if SENTIMENT_FUNCTION_NAME is set". A value
        that cannot be read raises ValueError naming the variable, rather than silently
        running on the fallback.
        """
        environ = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        def integer(name: str, default: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"{name} must be an integer, got {raw!r}") from None

        function_name = text(ENV_FUNCTION_NAME)
        return cls(
            enabled=_switch(ENV_ENABLED, text(ENV_ENABLED), unset=function_name is not None),
            function_name=function_name,
            region_name=text(ENV_REGION),
            qualifier=text(ENV_QUALIFIER),
            batch_size=integer(ENV_BATCH_SIZE, DEFAULT_BATCH_SIZE),
            max_request_bytes=integer(ENV_MAX_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES),
        )


def _switch(name: str, raw: str | None, *, unset: bool) -> bool:
    """An on/off variable's value (true/false, 1/0, yes/no, on/off); `unset` when it is not set."""
    if raw is None:
        return unset
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")


def text_request_bytes(text: str) -> int:
    """Exact bytes a text adds to the request body: its JSON string (a comma between texts)."""
    return len(encode_json(text))


def plan_text_batches(texts: Sequence[str], *, max_texts: int, max_request_bytes: int) -> list[tuple[int, list[str]]]:
    """Consecutive (start index, texts) chunks, order kept, each of at most ``max_texts``
    texts and an ``encode_json({"texts": chunk})`` of at most ``max_request_bytes``.

    A text that alone is over the byte limit gets a chunk of its own: the function (or Lambda)
    then says what is wrong with it, rather than this client failing silently.
    """
    if max_texts < 1:
        raise ValueError(f"max_texts must be at least 1, got {max_texts}")
    batches: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start, size = 0, REQUEST_ENVELOPE_BYTES
    for index, text in enumerate(texts):
        added = text_request_bytes(text) + (1 if current else 0)
        if current and (len(current) >= max_texts or size + added > max_request_bytes):
            batches.append((start, current))
            start, current, size = index, [], REQUEST_ENVELOPE_BYTES
            added -= 1
        current.append(text)
        size += added
    if current:
        batches.append((start, current))
    return batches


class SentimentClient:
    """Analyses texts with the deployed sentiment function, or the fallback when it cannot.

    Safe to share between threads (boto3 clients are; the fallback is stateless).
    """

    def __init__(
        self,
        config: SentimentClientConfig,
        *,
        lambda_client: Any = None,
        fallback: SentimentAnalyser | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """
        lambda_client: a boto3 Lambda client; by default one from ``create_lambda_client`` with
            the config's region, attempts and timeouts. Not created (nor used) when disabled.
        fallback: answers when the function cannot; by default ``LexiconAnalyser.default()``.
        logger: where fallback warnings go; by default the ``clients.sentiment`` logger.
        """
        self.config = config
        self.fallback: SentimentAnalyser = fallback if fallback is not None else LexiconAnalyser.default()
        self.logger = logger if logger is not None else logging.getLogger(__name__)
        self._disabled_logged = False
        self._function: LambdaFunction | None = None
        if config.enabled:
            assert config.function_name is not None  # the config refuses enabled without a name
            if lambda_client is None:
                lambda_client = create_lambda_client(
                    region_name=config.region_name,
                    max_attempts=config.max_attempts,
                    connect_timeout_seconds=config.connect_timeout_seconds,
                    read_timeout_seconds=config.read_timeout_seconds,
                )
            elif config.region_name is not None and config.region_name != lambda_client.meta.region_name:
                raise ValueError(
                    f"region_name {config.region_name!r} differs from the given lambda_client's region"
                    f" {lambda_client.meta.region_name!r}; configure one or the other"
                )
            self._function = LambdaFunction(
                function_name=config.function_name, qualifier=config.qualifier, lambda_client=lambda_client
            )

    @property
    def enabled(self) -> bool:
        return self._function is not None

    @property
    def lambda_client(self) -> Any:
        """The boto3 client in use; None when the function is disabled."""
        return self._function.lambda_client if self._function is not None else None

    def analyse_one(self, text: str) -> SentimentResult:
        """``{"sentiment", "score", "source"}`` for one text (one invocation)."""
        return self.analyse([text])[0]

    def analyse(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One ``{"sentiment", "score", "source"}`` per text, in order; any number of texts."""
        texts = _checked_texts(texts)
        if not texts:
            return []
        if self._function is None:
            if not self._disabled_logged:
                self._disabled_logged = True
                self.logger.warning(
                    "sentiment function disabled by configuration (%s); texts are analysed by the fallback analyser",
                    ENV_ENABLED,
                    extra={"fallback_reason": "disabled"},
                )
            return self._from_fallback(texts)

        results: list[SentimentResult] = []
        batches = plan_text_batches(
            texts, max_texts=self.config.batch_size, max_request_bytes=self.config.max_request_bytes
        )
        for number, (start, batch) in enumerate(batches):
            try:
                results.extend(self._invoke(self._function, batch, start=start))
            except FunctionRequestError:
                raise  # the caller's mistake: see the module's docstring
            except (FunctionClientError, ClientError, BotoCoreError) as error:
                remaining = texts[start:]
                self.logger.warning(
                    "sentiment function %s failed (%s); %d of %d texts analysed by the fallback"
                    " analyser instead (%d of %d invocations had succeeded)",
                    self._function.function_name,
                    _reason(error),
                    len(remaining),
                    len(texts),
                    number,
                    len(batches),
                    extra={
                        "fallback_reason": "function_failed",
                        "function_name": self._function.function_name,
                        "error_type": _error_type(error),
                        "fallback_texts": len(remaining),
                    },
                )
                results.extend(self._from_fallback(remaining))
                break
        return results

    def health_check(self) -> dict[str, Any]:
        """The function's health answer (``{"status": "ok", "model": {...}}``). Raises the
        errors ``analyse`` would fall back on: this is how a caller checks the function."""
        if self._function is None:
            raise RuntimeError(f"the sentiment function is disabled by configuration ({ENV_ENABLED})")
        return _body_or_raise(self._function.invoke(encode_json({"action": "health"})), start=0)

    def _invoke(self, function: LambdaFunction, batch: list[str], *, start: int) -> list[SentimentResult]:
        try:
            response = function.invoke(encode_json({"texts": batch}))
        except FunctionRequestError as error:  # Lambda itself refused the request (over 6 MB)
            raise SentimentRequestError(
                message=error.message, status_code=error.status_code, error_type=error.error_type, batch_start=start
            ) from error
        body = _body_or_raise(response, start=start)
        results = body.get("results")
        if not isinstance(results, list) or len(results) != len(batch) or not all(map(_is_result, results)):
            raise SentimentFunctionError(
                message=f"expected {len(batch)} results of {{'sentiment', 'score'}}, got {_describe(results)}",
                error_type="InvalidResponse",
            )
        return [{**result, "source": SOURCE_LAMBDA} for result in results]

    def _from_fallback(self, texts: list[str]) -> list[SentimentResult]:
        results = self.fallback.analyse(texts)
        if len(results) != len(texts):
            raise RuntimeError(f"the fallback analyser returned {len(results)} results for {len(texts)} texts")
        return [
            {"sentiment": result["sentiment"], "score": result["score"], "source": SOURCE_FALLBACK}
            for result in results
        ]


def _checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, not a single string: use analyse_one")
    checked = list(texts)
    for index, text in enumerate(checked):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a str, got {type(text).__name__}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"texts[{index}] is not valid Unicode text (it holds a lone surrogate)") from None
    return checked


def _body_or_raise(response: InvokeResponse, *, start: int) -> dict[str, Any]:
    """The ``body`` of a ``{"statusCode", "body"}`` answer, or the error it stands for
    (errors map to exceptions here only)."""
    response.raise_if_unhandled(SentimentFunctionError)  # the handler raised, or the runtime could not answer
    payload = response.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), dict):
        raise SentimentFunctionError(
            message=f"expected {{'statusCode', 'body': {{...}}}}, got {_describe(payload)}",
            error_type="InvalidResponse",
        )
    status_code, body = payload.get("statusCode"), payload["body"]
    if status_code == 200:
        return body
    if isinstance(status_code, int) and 400 <= status_code < 500:
        raise SentimentRequestError.from_answer(body, status_code, batch_start=start)
    raise SentimentFunctionError.from_answer(body, f"status code {status_code!r}")


def _is_result(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("sentiment"), str)
        and isinstance(value.get("score"), (int, float))
        and not isinstance(value.get("score"), bool)
    )


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"an object with keys {sorted(value)[:6]}"
    return type(value).__name__


def _error_type(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(error, FunctionFailedError):
        return error.error_type
    return type(error).__name__


def _reason(error: Exception) -> str:
    """Why the function gave no answer, in a few words, for the warning."""
    if isinstance(error, FunctionNotFoundError):
        return f"not found: {error}"
    if isinstance(error, ClientError):
        code = _error_type(error)
        message = error.response.get("Error", {}).get("Message", "")
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts")
        tries = f" after {attempts + 1} attempts" if isinstance(attempts, int) else ""
        if code in ("TooManyRequestsException", "ThrottlingException"):
            return f"throttled{tries} ({code}: {message})"
        return f"{code}{tries}: {message}"
    if isinstance(error, FunctionFailedError):
        return f"function error {error.error_type}: {error.message}"
    return f"{type(error).__name__}: {error}"  # timeouts, connection errors, missing credentials

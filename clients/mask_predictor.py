"""Client for the mask component predictor: ``predict``, ``predict_batch``, ``health_check``.

Caching: results are deterministic for a given model. The same name sent to a function whose
model has the same sha256 (``health_check()["model"]["sha256"]``) always gets the same result,
so callers may cache results keyed by (model sha256, mask name) for as long as they like. The
optional built-in cache (``cache_size > 0``) keys by name only and lives as long as the client:
pin ``qualifier`` to a published version, or call ``clear_cache()`` after a model update.

Usage::

    client = MaskPredictorClient(function_name="mask-predictor-prod", region_name="eu-west-1")
    client.predict("3M Aura 9205+ N95")["components"]["brand"]  # ["3M"]
    client.predict_batch(names)  # any length; chunked to fit the limits, results in order
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from clients.errors import FunctionFailedError, FunctionRequestError
from clients.lambda_invoke import (
    SYNC_REQUEST_LIMIT_BYTES,
    SYNC_RESPONSE_LIMIT_BYTES,
    InvokeResponse,
    LambdaFunction,
    create_lambda_client,
    encode_json,
)
from clients.lru_cache import LruCache
from clients.mask_batches import plan_batches

# The function's own defaults (its MAX_BATCH_NAMES and MAX_REQUEST_BYTES environment variables).
DEFAULT_MAX_BATCH_NAMES = 1000
DEFAULT_MAX_REQUEST_BYTES = 262_144

MaskResult = dict[str, Any]


class MaskPredictorRequestError(FunctionRequestError):
    """The function rejected the request (400 ValidationError, 413 PayloadTooLarge).

    ``message`` is the function's own message. For a batch, ``mask_names`` holds the names of
    the rejected invocation (indexes in the message count from the start of that invocation).
    """

    def __init__(self, *, message: str, status_code: int, error_type: str, mask_names: Sequence[str] = ()) -> None:
        super().__init__(message=message, status_code=status_code, error_type=error_type)
        self.mask_names = tuple(mask_names)


class MaskPredictorFunctionError(FunctionFailedError):
    """The function failed: unhandled exception, 500 InternalError or a malformed answer."""


class MaskPredictorClient:
    """Calls the deployed mask predictor synchronously through the Lambda Invoke API.

    Safe to share between threads (boto3 clients are; the cache takes a lock).
    """

    def __init__(
        self,
        *,
        function_name: str,
        qualifier: str | None = None,
        region_name: str | None = None,
        lambda_client: Any = None,
        cache_size: int = 0,
        max_batch_names: int = DEFAULT_MAX_BATCH_NAMES,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        """
        lambda_client: a boto3 Lambda client; by default one from ``create_lambda_client``
            (standard retries incl. throttling, connect/read timeouts).
        cache_size: how many per-name results to keep in an in-process LRU cache; 0 turns it off.
        max_batch_names, max_request_bytes: the function's MAX_BATCH_NAMES / MAX_REQUEST_BYTES,
            when deployed with other values than the defaults. Requests never exceed Lambda's
            own 6 MB limit whatever these say.
        """
        if cache_size < 0:
            raise ValueError(f"cache_size must be 0 (off) or positive, got {cache_size}")
        if lambda_client is None:
            lambda_client = create_lambda_client(region_name=region_name)
        elif region_name is not None and region_name != lambda_client.meta.region_name:
            raise ValueError(
                f"region_name {region_name!r} differs from the given lambda_client's region "
                f"{lambda_client.meta.region_name!r}; pass one or the other"
            )
        self._function = LambdaFunction(function_name=function_name, qualifier=qualifier, lambda_client=lambda_client)
        self._cache: LruCache[str, MaskResult] | None = LruCache(max_entries=cache_size) if cache_size else None
        self.max_batch_names = max_batch_names
        self.max_request_bytes = min(max_request_bytes, SYNC_REQUEST_LIMIT_BYTES)

    @property
    def lambda_client(self) -> Any:
        return self._function.lambda_client

    @property
    def function_name(self) -> str:
        return self._function.function_name

    @property
    def qualifier(self) -> str | None:
        return self._function.qualifier

    @property
    def region_name(self) -> str:
        return self._function.region_name

    def predict(self, mask_name: str) -> MaskResult:
        """One name's labels: ``{"mask_name", "tokens", "breakdown", "components", ...}``."""
        _require_str(mask_name)
        if self._cache is not None and (cached := self._cache.get(mask_name)) is not None:
            # A copy: the caller may change what it gets, the cache must not change.
            return copy.deepcopy(cached)
        result = self._call({"mask_name": mask_name}, mask_names=(mask_name,))
        if self._cache is not None:
            self._cache.put(mask_name, copy.deepcopy(result))
        return result

    def predict_batch(self, mask_names: Sequence[str]) -> list[MaskResult]:
        """One result per name, in order. Any length: split into as many invocations as needed.

        Each distinct name is sent once (results are deterministic), and with the cache on only
        names not already cached are sent.
        """
        if isinstance(mask_names, str):
            raise TypeError("mask_names must be a sequence of names, not a single string")
        for mask_name in mask_names:
            _require_str(mask_name)

        known: dict[str, MaskResult] = {}
        if self._cache is not None:
            for mask_name in dict.fromkeys(mask_names):
                if (cached := self._cache.get(mask_name)) is not None:
                    known[mask_name] = cached
        to_send = [name for name in dict.fromkeys(mask_names) if name not in known]
        fetched = self._fetch_many(to_send)

        results: list[MaskResult] = []
        handed_out: set[str] = set()
        for mask_name in mask_names:
            if mask_name in fetched and mask_name not in handed_out:
                results.append(fetched[mask_name])
                handed_out.add(mask_name)
            else:  # a cache hit or a repeated name: every position gets its own object
                source = fetched[mask_name] if mask_name in fetched else known[mask_name]
                results.append(copy.deepcopy(source))
        return results

    def health_check(self) -> dict[str, Any]:
        """``{"status": "ok", "function_name", "function_version", "model": {"sha256"...}}``."""
        return self._call({"action": "health"}, mask_names=())

    def clear_cache(self) -> None:
        if self._cache is not None:
            self._cache.clear()

    def _fetch_many(self, unique_names: list[str]) -> dict[str, MaskResult]:
        fetched: dict[str, MaskResult] = {}
        batches = plan_batches(
            unique_names,
            max_names=self.max_batch_names,
            max_request_bytes=self.max_request_bytes,
            max_response_bytes=SYNC_RESPONSE_LIMIT_BYTES,
        )
        for batch in batches:
            body = self._call({"mask_names": batch}, mask_names=batch)
            results = body.get("results")
            if not isinstance(results, list) or len(results) != len(batch):
                raise MaskPredictorFunctionError(
                    message=(
                        f"expected {len(batch)} results, got "
                        f"{len(results) if isinstance(results, list) else type(results).__name__}"
                    ),
                    error_type="InvalidResponse",
                )
            fetched.update(zip(batch, results, strict=True))
            if self._cache is not None:  # per invocation, so a later failing one loses nothing
                for mask_name, result in zip(batch, results, strict=True):
                    self._cache.put(mask_name, copy.deepcopy(result))
        return fetched

    def _call(self, payload: Mapping[str, Any], *, mask_names: Sequence[str]) -> dict[str, Any]:
        try:
            response = self._function.invoke(encode_json(payload))
        except FunctionRequestError as error:  # Lambda itself refused the request (over 6 MB)
            raise MaskPredictorRequestError(
                message=error.message,
                status_code=error.status_code,
                error_type=error.error_type,
                mask_names=mask_names,
            ) from error
        return _body_or_raise(response, mask_names=mask_names)


def _body_or_raise(response: InvokeResponse, *, mask_names: Sequence[str]) -> dict[str, Any]:
    """The function's answer, or the error it stands for (errors map to exceptions here only)."""
    response.raise_if_unhandled(MaskPredictorFunctionError)
    body = response.payload
    if not isinstance(body, dict):
        raise MaskPredictorFunctionError(
            message=f"expected a JSON object, got {type(body).__name__}",
            error_type="InvalidResponse",
        )
    status_code = body.get("statusCode")
    if isinstance(status_code, int) and 400 <= status_code < 500:
        raise MaskPredictorRequestError.from_answer(body, status_code, mask_names=mask_names)
    if isinstance(status_code, int) and status_code >= 500:
        raise MaskPredictorFunctionError.from_answer(body, "internal error")
    return body


def _require_str(mask_name: object) -> None:
    if not isinstance(mask_name, str):
        raise TypeError(f"a mask name must be a str, got {type(mask_name).__name__}")

"""Splitting mask names into invocations that fit the function's and Lambda's limits.

A request must respect three limits at once: the function's maximum names per call, the
request body size, and the size of the response it will produce. The response is not known
before the call, so each name's share of it is bounded from above (``estimate_result_bytes``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from clients.lambda_invoke import encode_json

# What one token costs besides its own characters, written with json.dumps' default
# separators as the Lambda runtime does: '"t", ' in "tokens" and again in "components" (4 + 4),
# '{"t": "filter_type"}, ' in "breakdown" (21, longest label) and '0.1234, ' in
# "token_confidences" (8, four decimals): 37, rounded up for fields added later.
PER_TOKEN_BYTES = 48
# Keys, the nine empty component lists, the confidence and ", " between results (about
# 260 bytes today), doubled so fields added to the contract later do not break the bound.
RESULT_FIXED_BYTES = 512
# '{"results": [...], "count": N}' around the results.
RESPONSE_ENVELOPE_BYTES = 256
REQUEST_ENVELOPE_BYTES = len(encode_json({"mask_names": []}))


def estimate_result_bytes(mask_name: str) -> int:
    """Conservative upper bound of the bytes one name's result adds to the function's answer.

    A result repeats the name's characters at most four times (mask_name, tokens, the
    breakdown's keys, components). Each copy is bounded by the name's ASCII-escaped JSON form,
    which is never shorter than its UTF-8 form (6 bytes per non-ASCII UTF-16 unit against at
    most 4), so the bound holds whichever way the runtime encodes. Tokens are separated by at
    least one character, so a name of n characters has at most (n + 1) // 2 tokens, each
    costing at most PER_TOKEN_BYTES of quotes, separators, label and confidence. For a typical
    25-character name this estimates about 1.2 KB, 2-3 times the real size; tests check the
    bound against the real function's answers.
    """
    escaped_name_bytes = len(json.dumps(mask_name, ensure_ascii=True))
    max_tokens = (len(mask_name) + 1) // 2
    return RESULT_FIXED_BYTES + 4 * escaped_name_bytes + PER_TOKEN_BYTES * max_tokens


def request_name_bytes(mask_name: str) -> int:
    """Exact bytes a name adds to the request body (its JSON string plus a comma)."""
    return len(encode_json(mask_name)) + 1


def plan_batches(
    mask_names: Sequence[str],
    *,
    max_names: int,
    max_request_bytes: int,
    max_response_bytes: int,
) -> list[list[str]]:
    """Consecutive chunks of ``mask_names`` (order kept), each within all three limits.

    A single name that alone exceeds a byte limit still gets its own chunk: the function (or
    Lambda) then answers with an error that names the problem, which beats failing silently here.
    """
    if max_names < 1:
        raise ValueError(f"max_names must be at least 1, got {max_names}")
    batches: list[list[str]] = []
    current: list[str] = []
    request_bytes = REQUEST_ENVELOPE_BYTES
    response_bytes = RESPONSE_ENVELOPE_BYTES
    for name in mask_names:
        name_request_bytes = request_name_bytes(name)
        name_response_bytes = estimate_result_bytes(name)
        fits = (
            len(current) < max_names
            and request_bytes + name_request_bytes <= max_request_bytes
            and response_bytes + name_response_bytes <= max_response_bytes
        )
        if current and not fits:
            batches.append(current)
            current = []
            request_bytes = REQUEST_ENVELOPE_BYTES
            response_bytes = RESPONSE_ENVELOPE_BYTES
        current.append(name)
        request_bytes += name_request_bytes
        response_bytes += name_response_bytes
    if current:
        batches.append(current)
    return batches

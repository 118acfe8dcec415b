"""Request errors -> error responses, the same for every function."""

from __future__ import annotations

import pytest

from lambda_common.errors import NotFoundError, PayloadTooLargeError, RequestError, ValidationError, error_response


@pytest.mark.parametrize(
    ("error", "status_code", "error_type"),
    [
        (ValidationError("bad"), 400, "ValidationError"),
        (RequestError("bad"), 400, "ValidationError"),
        (PayloadTooLargeError("bad"), 413, "PayloadTooLarge"),
        (NotFoundError("bad"), 404, "NotFound"),
    ],
)
def test_request_errors_reach_the_caller(error: RequestError, status_code: int, error_type: str) -> None:
    response = error_response(error, request_id="req-1")
    assert response.status_code == status_code
    assert response.body == {"error": "bad", "error_type": error_type}
    assert response.headers == {}
    assert not response.is_internal


def test_a_request_errors_headers_are_copied_into_the_response() -> None:
    error = ValidationError("bad", headers={"allow": "GET"})
    response = error_response(error, request_id=None)
    assert response.headers == {"allow": "GET"}
    response.headers["x"] = "y"
    assert error.headers == {"allow": "GET"}


def test_anything_else_is_a_generic_internal_error_with_the_request_id() -> None:
    response = error_response(KeyError("secret detail"), request_id="req-1")
    assert response.status_code == 500 and response.is_internal
    assert response.body == {"error": "internal error", "error_type": "InternalError", "request_id": "req-1"}
    assert "secret" not in str(response.body)

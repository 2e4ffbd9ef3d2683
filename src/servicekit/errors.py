"""The one error envelope every service answers with.

``{"error": {"code", "message", "details", "request_id"}, "detail": message}``: ``error`` is the
suite's envelope; ``detail`` repeats the message so clients written against the upstream FastAPI
services (which read ``detail``) keep working.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ServiceError(Exception):
    """An expected failure a service reports to its client (raise it from any layer)."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.details = details
        self.headers = headers


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    status_code = 422
    code = "validation_error"


class ServiceUnavailable(ServiceError):
    status_code = 503
    code = "service_unavailable"


def code_for_status(status: int) -> str:
    """A stable snake_case code for an HTTP status (``404`` -> ``not_found``)."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def envelope(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code or code_for_status(status), "message": message}
    if details is not None:
        error["details"] = details
    if request_id:
        error["request_id"] = request_id
    return {"error": error, "detail": message}

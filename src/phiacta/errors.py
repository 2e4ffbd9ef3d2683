"""The spec's error codes (§3.2) on the kit's envelope.

Services raise the classes below; the kit's own errors (401 from the authenticator, 422 from
request validation, 404 for unknown routes, 500) are rewritten by :func:`use_spec_error_codes`
to the spec's upper-case codes, and 422 details become ``{field, code, message}`` items whose
``field`` is a path such as ``claims[0].content``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from servicekit.errors import ServiceError

SPEC_CODES = frozenset(
    {
        "BAD_REQUEST",
        "INVALID_PARAMETER",
        "UNAUTHENTICATED",
        "TOKEN_EXPIRED",
        "FORBIDDEN",
        "INSUFFICIENT_SCOPE",
        "CAPABILITY_DENIED",
        "NOT_FOUND",
        "CLAIM_NOT_FOUND",
        "VERSION_NOT_FOUND",
        "EXTENSION_NOT_FOUND",
        "CONFLICT",
        "IDEMPOTENCY_CONFLICT",
        "CONCURRENT_MODIFICATION",
        "GONE",
        "PAYLOAD_TOO_LARGE",
        "VALIDATION_FAILED",
        "BUNDLE_VALIDATION_FAILED",
        "EDGE_TYPE_UNKNOWN",
        "NAMESPACE_NOT_FOUND",
        "TEMP_ID_UNRESOLVED",
        "RATE_LIMITED",
        "INTERNAL_ERROR",
        "UPSTREAM_ERROR",
        "SERVICE_UNAVAILABLE",
    }
)

_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    410: "GONE",
    413: "PAYLOAD_TOO_LARGE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "UPSTREAM_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
_KIT_CODES = {
    "insufficient_scope": "INSUFFICIENT_SCOPE",
    "token_expired": "TOKEN_EXPIRED",
    "api_key_expired": "TOKEN_EXPIRED",
    "validation_error": "VALIDATION_FAILED",
}
_VALIDATION_CODES = {
    "missing": "REQUIRED",
    "string_pattern_mismatch": "PATTERN",
    "string_too_short": "LENGTH",
    "string_too_long": "LENGTH",
    "too_short": "LENGTH",
    "too_long": "LENGTH",
    "greater_than": "RANGE",
    "greater_than_equal": "RANGE",
    "less_than": "RANGE",
    "less_than_equal": "RANGE",
}


def error(status: int, code: str, message: str, details: Any = None) -> ServiceError:
    return ServiceError(message, status_code=status, code=code, details=details)


def claim_not_found(claim_id: object) -> ServiceError:
    return error(404, "CLAIM_NOT_FOUND", f"Claim {claim_id} not found")


def not_found(what: str, ident: object) -> ServiceError:
    return error(404, "NOT_FOUND", f"{what} {ident} not found")


def conflict(message: str, details: Any = None) -> ServiceError:
    return error(409, "CONFLICT", message, details)


def forbidden(message: str) -> ServiceError:
    return error(403, "FORBIDDEN", message)


def field_error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def validation_failed(
    errors: Sequence[dict[str, str]], *, code: str = "VALIDATION_FAILED"
) -> ServiceError:
    first = errors[0]["message"] if errors else "Validation failed"
    return error(422, code, first, list(errors))


def spec_code(code: str, status: int) -> str:
    """The spec's code for an error the kit or the framework named in its own words."""
    if code in SPEC_CODES:
        return code
    if code in _KIT_CODES:
        return _KIT_CODES[code]
    return _BY_STATUS.get(status, code.upper())


def field_path(loc: Sequence[object]) -> str:
    """``["body", "claims", 0, "content"]`` -> ``claims[0].content``."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "request"


def validation_details(kit_details: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The kit's ``{loc, msg, type}`` items as the spec's ``{field, code, message}``."""
    return [
        field_error(
            field_path(item.get("loc", ())),
            _VALIDATION_CODES.get(str(item.get("type", "")), str(item.get("type", "")).upper()),
            str(item.get("msg", "")),
        )
        for item in kit_details
    ]


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _translating(handler: Handler) -> Handler:
    async def translate(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not isinstance(response, JSONResponse):
            return response
        body = json.loads(bytes(response.body))
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return response
        status = response.status_code
        original = str(err.get("code", ""))
        err["code"] = spec_code(original, status)
        if status == 422 and isinstance(err.get("details"), list):
            items = err["details"]
            if items and isinstance(items[0], dict) and "loc" in items[0]:
                err["details"] = validation_details(items)
        if status == 401 and original != err["code"]:
            err["details"] = {"reason": original}
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() not in {"content-length", "content-type"}
        }
        return JSONResponse(body, status_code=status, headers=headers)

    return translate


def use_spec_error_codes(app: FastAPI) -> None:
    """Wrap every error handler the kit installed so answers carry the spec's codes."""
    for exc_type, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_type] = _translating(handler)

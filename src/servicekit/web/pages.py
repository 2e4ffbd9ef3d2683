"""HTML pages that fail as HTML: a route class turning service errors into an error page.

A UI router is declared with ``APIRouter(route_class=html_error_route(render_error))``: a
``ServiceError`` or a validation error raised by one of its pages is answered by
``render_error(request, failure)``, with the error's status and headers, instead of the JSON
envelope. Requests made by htmx keep the envelope, so ``kit.js`` shows its message as a toast
and the page stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from servicekit.errors import ServiceError


@dataclass(frozen=True, slots=True)
class PageFailure:
    """What an error page shows: the status, one readable message, and headers to keep
    (``Retry-After`` of a 429, ``WWW-Authenticate`` of a 401)."""

    status: int
    message: str
    headers: dict[str, str] | None = None


def failure_of(error: ServiceError | RequestValidationError) -> PageFailure:
    if isinstance(error, ServiceError):
        return PageFailure(error.status_code, error.message, error.headers)
    message = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'][1:])}: {problem['msg']}"
        for problem in error.errors()
    )
    return PageFailure(422, message)


ErrorRenderer = Callable[[Request, PageFailure], Response]


def html_error_route(render_error: ErrorRenderer) -> type[APIRoute]:
    """A route class whose failures are rendered by ``render_error`` (htmx: the envelope)."""

    class PageRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except (ServiceError, RequestValidationError) as error:
                    if request.headers.get("hx-request"):
                        raise
                    return render_error(request, failure_of(error))

            return handle

    return PageRoute

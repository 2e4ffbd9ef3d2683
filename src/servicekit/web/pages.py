"""HTML pages that fail as HTML: a route class turning service errors into an error page.

Also here: ``is_foreign_form``/``same_origin_forms``, the one rule every UI uses to refuse forms
posted from other origins, and ``page_renderer``, the one way pages are rendered.

A UI router is declared with ``APIRouter(route_class=html_error_route(render_error))``: a
``ServiceError`` or a validation error raised by one of its pages is answered by
``render_error(request, failure)``, with the error's status and headers, instead of the JSON
envelope. Requests made by htmx keep the envelope, so ``kit.js`` shows its message as a toast
and the page stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.templating import Jinja2Templates

from servicekit.errors import Forbidden, ServiceError

# What browsers send in ``Sec-Fetch-Site`` for a request from a page of another origin (sibling
# subdomains included). Clients that send no such header (scripts, tests) carry no victim's
# ambient cookie, and "none" is the user's own navigation: both are let in.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})
FOREIGN_FORM_REFUSED = "Forms of this service are accepted from its own pages only"


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


def is_foreign_form(request: Request) -> bool:
    """A state-changing request sent by a page of another origin (SameSite=Lax cookies already
    stay home on cross-site posts; this also covers sibling origins and cookie-less forms such
    as sign-in)."""
    return (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.headers.get("sec-fetch-site") in FOREIGN_FETCH_SITES
    )


def same_origin_forms(sec_fetch_site: Annotated[str | None, Header()] = None) -> None:
    """A route dependency refusing forms posted from another origin (403 ``cross_site``)."""
    if sec_fetch_site in FOREIGN_FETCH_SITES:
        raise Forbidden(FOREIGN_FORM_REFUSED, code="cross_site")


PageContext = Callable[[Request], dict[str, Any]]


class PageRenderer:
    """``render(request, template, context, status_code=200, headers=None)`` over ``templates``,
    each page's context completed by ``page_context(request)`` (who is signed in, the service's
    name...), the page's own keys winning."""

    def __init__(self, templates: Jinja2Templates, page_context: PageContext) -> None:
        self.templates = templates
        self.page_context = page_context

    def __call__(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request,
            template,
            {**self.page_context(request), **context},
            status_code=status_code,
            headers=headers,
        )

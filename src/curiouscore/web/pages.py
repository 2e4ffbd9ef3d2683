"""What every page of the web app shares: templates, rendering, who is signed in, and the
route class that delivers refreshed cookies, refuses cross-site forms and sends anonymous
visitors to the sign-in page.

Pages work without JavaScript (links, forms, POST then redirect); htmx only swaps the play
panel in place. A failure is an HTML page with the error's status, except for htmx requests,
which get the kit's JSON envelope so ``kit.js`` shows it as a toast.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from curiouscore.accounts.service import ADMIN
from curiouscore.runtime import CuriousCore
from curiouscore.web import session_cookies
from servicekit.auth import Principal
from servicekit.errors import Forbidden, ServiceError, envelope
from servicekit.web import make_templates, url_path_for
from servicekit.web.pages import (
    FOREIGN_FORM_REFUSED,
    PageFailure,
    PageRenderer,
    failure_of,
    html_error_route,
    is_foreign_form,
)

TEMPLATES = make_templates(Path(__file__).parent / "templates")
SERVICE_NAME = "CuriousCore"


class LoginRequired(Exception):
    """The page needs a signed-in learner: the visitor is sent to the sign-in page."""


def core_of(request: Request) -> CuriousCore:
    return request.app.state.curiouscore


def _page_context(request: Request) -> dict[str, Any]:
    viewer = getattr(request.state, "cc_principal", None) or Principal.anonymous()
    return {
        "service_name": SERVICE_NAME,
        "viewer": viewer,
        "is_admin": viewer.has_any_role([ADMIN]),
    }


render = PageRenderer(TEMPLATES, _page_context)


def error_page(request: Request, failure: PageFailure) -> Response:
    context = {"status": failure.status, "message": failure.message}
    return render(request, "error.html", context, failure.status, failure.headers)


def validation_message(error: ValidationError) -> str:
    """A form's schema errors as one readable line (``field: problem; ...``)."""
    problems = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "form"
        problems.append(f"{field}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def redirect(request: Request, name: str, **params: Any) -> RedirectResponse:
    return RedirectResponse(url_path_for(request, name, **params), status_code=303)


def _login_redirect(request: Request) -> Response:
    target = url_path_for(request, "ui-login")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.url.path})
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


class PageRoute(html_error_route(error_page)):  # type: ignore[misc]
    """Page routes: cross-site forms refused, anonymous visitors sent to sign in, and any
    cookie change (a refreshed pair, a sign-out) written onto the response, errors included:
    a rotated refresh token that never reached the browser would log the learner out."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if is_foreign_form(request):
                return error_page(
                    request, failure_of(Forbidden(FOREIGN_FORM_REFUSED, code="cross_site"))
                )
            try:
                response = await handler(request)
            except LoginRequired:
                response = _login_redirect(request)
            except (ServiceError, RequestValidationError) as error:
                if not session_cookies.pending(request):
                    raise
                failure = failure_of(error)  # an htmx request: the envelope, as the app's
                response = JSONResponse(
                    envelope(failure.status, failure.message), failure.status, failure.headers
                )
            session_cookies.apply(request, response, core_of(request).settings)
            return response

        return handle


async def viewer(request: Request) -> Principal:
    return await session_cookies.principal_of(request, core_of(request))


async def signed_in(principal: Annotated[Principal, Depends(viewer)]) -> Principal:
    if not principal.is_authenticated:
        raise LoginRequired
    return principal


async def admin_user(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    if not principal.has_any_role([ADMIN]):
        raise Forbidden("Admin access required")
    return principal


Viewer = Annotated[Principal, Depends(viewer)]
SignedIn = Annotated[Principal, Depends(signed_in)]
AdminUser = Annotated[Principal, Depends(admin_user)]
Core = Annotated[CuriousCore, Depends(core_of)]

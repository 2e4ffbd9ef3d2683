"""UI routes fail as HTML pages with the error's status; htmx requests keep the JSON envelope."""

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse

from servicekit.app import create_app
from servicekit.errors import NotFound, ServiceError
from servicekit.web.pages import (
    PageFailure,
    html_error_route,
    is_foreign_form,
    same_origin_forms,
)


def render_error(request: Request, failure: PageFailure) -> Response:
    return HTMLResponse(
        f"<h1>{failure.status}</h1><p>{failure.message}</p>",
        status_code=failure.status,
        headers=failure.headers,
    )


def build_app() -> FastAPI:
    router = APIRouter(prefix="/ui", route_class=html_error_route(render_error))

    @router.get("/missing")
    async def missing() -> HTMLResponse:
        raise NotFound("no run 42: it may have been deleted")

    @router.get("/busy")
    async def busy() -> HTMLResponse:
        raise ServiceError("slow down", status_code=429, headers={"Retry-After": "7"})

    @router.get("/page")
    async def page(number: int = Query(ge=1)) -> HTMLResponse:
        return HTMLResponse(f"page {number}")

    @router.post("/form", dependencies=[Depends(same_origin_forms)])
    async def form(request: Request) -> HTMLResponse:
        return HTMLResponse(f"foreign={is_foreign_form(request)}")

    return create_app(title="pages", version="1", routers=[router], docs=False)


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
        yield client


async def test_service_error_renders_the_error_page_with_its_status(client):
    response = await client.get("/ui/missing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no run 42: it may have been deleted" in response.text


async def test_error_headers_are_kept(client):
    response = await client.get("/ui/busy")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_validation_error_names_the_field(client):
    response = await client.get("/ui/page", params={"number": 0})
    assert response.status_code == 422
    assert "number:" in response.text and "greater than or equal to 1" in response.text


async def test_htmx_requests_get_the_json_envelope(client):
    response = await client.get("/ui/missing", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no run 42: it may have been deleted"


async def test_pages_that_succeed_are_untouched(client):
    response = await client.get("/ui/page", params={"number": 3})
    assert response.status_code == 200 and response.text == "page 3"


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_forms_from_other_origins_are_refused(client, site):
    refused = await client.post("/ui/form", headers={"Sec-Fetch-Site": site})
    assert refused.status_code == 403
    assert "accepted from its own pages only" in refused.text


@pytest.mark.parametrize("site", [None, "same-origin", "none"])
async def test_forms_from_the_same_origin_or_without_the_header_pass(client, site):
    headers = {"Sec-Fetch-Site": site} if site else {}
    answer = await client.post("/ui/form", headers=headers)
    assert answer.status_code == 200 and answer.text == "foreign=False"

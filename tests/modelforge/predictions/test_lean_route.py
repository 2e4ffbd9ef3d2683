"""LeanRoute answers exactly as FastAPI's own route does, for every request shape it serves.

The same endpoint is mounted twice, once with FastAPI's ``APIRoute`` and once with
``LeanRoute``; each request is sent to both and the answers (status, body, headers that matter)
must be identical, including FastAPI's 422 bodies and the order "dependencies before
validation" (a 401 wins over a bad body).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from modelforge.predictions.lean_route import LeanRoute

_bearer = HTTPBearer(auto_error=False)


async def token(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    if credentials is None or credentials.credentials != "good":
        raise HTTPException(401, "not authenticated")
    return credentials.credentials


async def caller(request: Request, response: Response, who: str = Depends(token)) -> str:
    response.headers["X-Caller"] = who
    return f"{who}@{request.url.path}"


class Body(BaseModel):
    values: dict[str, Any]
    label: str | None = Field(default=None, max_length=5)
    flag: bool = False


class Answer(BaseModel):
    id: uuid.UUID
    caller: str
    values: Any
    mode: str | None
    limit: int


def _router(route_class: type[APIRoute], prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, route_class=route_class, max_body_size=MAX_BODY)

    @router.post("/things/{thing_id}/run", status_code=201)
    async def run(
        thing_id: uuid.UUID,
        body: Body,
        who: Annotated[str, Depends(caller)],
        response: Response,
        mode: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10)] = 3,
    ) -> Answer:
        response.headers["X-Mode"] = mode or "none"
        return Answer(id=thing_id, caller=who, values=body.values, mode=mode, limit=limit)

    @router.get("/raw")
    async def raw(who: Annotated[str, Depends(caller)]) -> Response:
        return Response(f"raw {who}", media_type="text/plain")

    @router.get("/plain")
    async def plain(who: Annotated[str, Depends(caller)]) -> dict[str, str]:
        return {"who": who}

    return router


@pytest.fixture
async def client() -> Any:
    app = FastAPI()
    app.include_router(_router(APIRoute, "/std"))
    app.include_router(_router(LeanRoute, "/lean"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield app, http


GOOD = {"Authorization": "Bearer good"}
MAX_BODY = 4096
THING = str(uuid.uuid4())

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("valid", f"/things/{THING}/run?mode=x&limit=5", {"json": {"values": {"a": [1, 2]}}}),
    ("defaults", f"/things/{THING}/run", {"json": {"values": {}, "flag": True}}),
    ("bad uuid", "/things/not-a-uuid/run", {"json": {"values": {}}}),
    ("bad query", f"/things/{THING}/run?limit=99", {"json": {"values": {}}}),
    ("bad body", f"/things/{THING}/run", {"json": {"values": 3, "label": "toolong"}}),
    ("missing body", f"/things/{THING}/run", {}),
    ("malformed json", f"/things/{THING}/run", {"content": b'{"values": {'}),
    ("nan literal", f"/things/{THING}/run", {"content": b'{"values": {"x": [NaN, -Infinity]}}'}),
    (
        "big integer",
        f"/things/{THING}/run",
        {"content": b'{"values": {"x": 123456789012345678901234}}'},
    ),
    ("text body", f"/things/{THING}/run", {"content": b"values", "text": 1}),
    ("too large", f"/things/{THING}/run", {"json": {"values": {"x": "a" * 5000}}}),
    ("json suffix", f"/things/{THING}/run", {"content": b'{"values": {}}', "problem": 1}),
]


def _request_args(options: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    args: dict[str, Any] = {"headers": dict(headers)}
    if "json" in options:
        args["json"] = options["json"]
    if "content" in options:
        args["content"] = options["content"]
        content_type = "application/json"
        if "text" in options:
            content_type = "text/plain"
        if "problem" in options:
            content_type = "application/problem+json; charset=utf-8"
        args["headers"]["Content-Type"] = content_type
    return args


def _same(standard: httpx.Response, lean: httpx.Response) -> None:
    assert lean.status_code == standard.status_code
    assert lean.content == standard.content
    for name in ("content-type", "x-caller", "x-mode", "www-authenticate"):
        assert lean.headers.get(name) == standard.headers.get(name), name


@pytest.mark.parametrize("headers", [GOOD, {}, {"Authorization": "Bearer bad"}])
@pytest.mark.parametrize(("case", "path", "options"), CASES, ids=[case[0] for case in CASES])
async def test_answers_as_fastapi_does(
    client: Any, case: str, path: str, options: dict[str, Any], headers: dict[str, str]
) -> None:
    _, http = client
    args = _request_args(options, headers)
    standard = await http.post(f"/std{path}", **args)
    lean = await http.post(f"/lean{path}", **args)
    # The lean route's own path differs: compare the caller string without the prefix.
    if standard.status_code == 201:
        assert lean.json()["caller"] == standard.json()["caller"].replace("/std/", "/lean/")
        standard_body = {**standard.json(), "caller": None}
        lean_body = {**lean.json(), "caller": None}
        assert lean_body == standard_body
        assert lean.headers["x-mode"] == standard.headers["x-mode"]
        assert lean.status_code == 201
    else:
        _same(standard, lean)
    if case == "too large":
        assert lean.status_code == 413
    if case == "valid" and headers == GOOD:
        assert lean.json()["values"] == {"a": [1, 2]} and lean.json()["limit"] == 5


async def test_an_endpoint_response_and_a_plain_dict_pass_through(client: Any) -> None:
    _, http = client
    for path in ("/raw", "/plain"):
        standard = await http.get(f"/std{path}", headers=GOOD)
        lean = await http.get(f"/lean{path}", headers=GOOD)
        assert lean.status_code == standard.status_code == 200
        assert lean.content == standard.content.replace(b"/std/", b"/lean/")
        assert lean.headers["content-type"] == standard.headers["content-type"]


async def test_dependency_overrides_are_honoured(client: Any) -> None:
    app, http = client

    async def fake_token() -> str:
        return "override"

    app.dependency_overrides[token] = fake_token
    try:
        answer = await http.post(f"/lean/things/{THING}/run", json={"values": {}})
    finally:
        app.dependency_overrides.clear()
    assert answer.status_code == 201
    assert answer.json()["caller"] == f"override@/lean/things/{THING}/run"


def test_a_route_it_cannot_serve_fails_at_startup() -> None:
    def sync_dependency() -> str:
        return "sync"

    async def with_header(x_thing: Annotated[str, Header()]) -> str:
        return x_thing

    for dependency in (sync_dependency, with_header):
        router = APIRouter(route_class=LeanRoute)

        # A default value, not Annotated: the dependency is local to this loop.
        async def endpoint(value: str = Depends(dependency)) -> dict[str, str]:
            return {"value": value}

        with pytest.raises(TypeError, match="LeanRoute cannot"):
            router.add_api_route("/x", endpoint, methods=["GET"])
            FastAPI().include_router(router)

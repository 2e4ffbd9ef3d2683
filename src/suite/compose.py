"""The composition root of ``suite up``: every installed service in one ASGI app.

Each service is mounted under ``/<name>`` with its own lifespan (Starlette does not run the
lifespans of mounted apps, so the root app runs them), and a landing page links to each one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from servicekit.config import suite_home
from servicekit.embedded import embedded_postgres, embedded_redis, ensure_database
from servicekit.service import Resources, ServiceSpec
from servicekit.web import make_templates, mount_static

# Each service gets its own Redis logical database, so that Celery queues, caches and rate-limit
# counters of one service can never be read (or consumed) by another sharing the server. Fixed
# numbers: a service's pending tasks must still be found after another service is installed.
REDIS_DATABASES = {"galileo": 1, "modelforge": 2, "phiacta": 3, "curiouscore": 4, "oyl": 5}
_FIRST_FREE_REDIS_DATABASE = 6


def redis_database_for(name: str, installed: Sequence[str] = ()) -> int:
    """The Redis database number of service ``name`` (unknown services after the known ones)."""
    if name in REDIS_DATABASES:
        return REDIS_DATABASES[name]
    others = sorted(n for n in {*installed, name} if n not in REDIS_DATABASES)
    return _FIRST_FREE_REDIS_DATABASE + others.index(name)


def with_redis_database(url: str, db: int) -> str:
    """``url`` pointing at database ``db``: ``redis://host:port/<db>`` or ``unix://path?db=<db>``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        return f"unix://{parts.path}?{urlencode(query)}"  # urlunsplit drops the empty host
    return urlunsplit(parts._replace(path=f"/{db}"))


@dataclass(frozen=True)
class Mounted:
    spec: ServiceSpec
    resources: Resources


def resources_for(spec: ServiceSpec, installed: Sequence[str] = ()) -> Resources:
    """Where a service's data lives under ``suite up``.

    ``SUITE_DATABASE_URL`` / ``SUITE_REDIS_URL`` name external servers shared by the suite (one
    database per service is created there, and one Redis database number per service);
    otherwise the embedded servers.
    """
    server = os.environ.get("SUITE_DATABASE_URL")
    if server:
        database_url = ensure_database(server, spec.name)
    else:
        database_url = embedded_postgres().ensure_database(spec.name)
    redis_url = with_redis_database(
        os.environ.get("SUITE_REDIS_URL") or embedded_redis().url(),
        redis_database_for(spec.name, installed),
    )
    return Resources(database_url=database_url, redis_url=redis_url)


def build_root_app(mounted: Sequence[Mounted]) -> FastAPI:
    apps = [(m, m.spec.create_app(m.resources)) for m in mounted]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for _, app in apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield

    root = FastAPI(title="AI service suite", lifespan=lifespan, docs_url=None, redoc_url=None)
    mount_static(root)
    templates = make_templates(Path(__file__).parent / "templates")
    cards = [
        {
            "title": m.spec.title,
            "description": m.spec.description,
            "prefix": f"/{m.spec.name}",
            "ui_url": f"/{m.spec.name}{m.spec.entry_path}",
        }
        for m in mounted
    ]

    @root.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "landing.html", {"services": cards, "home": str(suite_home())}
        )

    @root.get("/health", include_in_schema=False)
    async def health() -> dict[str, object]:
        return {"status": "ok", "services": [m.spec.name for m in mounted]}

    for m, app in apps:
        root.mount(f"/{m.spec.name}", app, name=m.spec.name)
    return root

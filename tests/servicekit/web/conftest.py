"""A small service UI on the kit, mounted under ``/svc`` the way ``suite up`` mounts services."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from servicekit.web import make_templates, mount_static

TEMPLATE_DIR = Path(__file__).parent / "templates"

NOTES = """## Release notes

The **judge** scored `7/10` on [the benchmark](https://example.org/bench).

```python
def score(case):
    return 0.7
```

<script>window.__xss = "script"</script>
<img src="data:image/png;base64,AAAA" alt="broken image" onerror="window.__xss = 'onerror'">

[a link](javascript:window.__xss='link')

A long identifier must wrap on a phone: {long}
""".format(long="x" * 120)

FAILURE_ENVELOPE = {
    "error": {
        "code": "backend_unavailable",
        "message": "The scoring backend is unavailable, try again in a minute",
        "details": {"retry_after": 60},
    }
}


def build_demo_service() -> FastAPI:
    service = FastAPI()
    mount_static(service)
    templates = make_templates(TEMPLATE_DIR)

    @service.get("/ui", response_class=HTMLResponse, name="demo-page")
    async def demo_page(request: Request, q: str = "") -> HTMLResponse:
        context = {
            "service_name": "Demo",
            "query": q,
            "notes": NOTES,
            "flashes": [{"level": "success", "message": "Welcome back, <b>ada</b>"}],
        }
        return templates.TemplateResponse(request, "demo.html", context)

    @service.get("/ui/details", response_class=HTMLResponse, name="demo-details")
    async def demo_details(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "details.html", {})

    @service.get("/ui/fail", name="demo-failure")
    async def demo_failure() -> JSONResponse:
        return JSONResponse(FAILURE_ENVELOPE, status_code=503)

    @service.get("/ui/events", name="demo-events")
    async def demo_events() -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            yield "event: message\ndata: <div data-markdown>Streamed **update**</div>\n\n"
            # Keep the stream open until the browser leaves: a closed stream makes EventSource
            # reconnect and the SSE extension log an error.
            await asyncio.Event().wait()

        return StreamingResponse(stream(), media_type="text/event-stream")

    return service


@pytest.fixture
def demo_server(live_server: Callable[[FastAPI], str]) -> str:
    """Base URL of an app mounting the demo service at ``/svc`` and a second one at ``/other``.

    Mounted by name, as ``suite up`` does, which is what defeats Starlette's own ``url_for``.
    """
    root = FastAPI()
    root.mount("/svc", build_demo_service(), name="svc")
    root.mount("/other", build_demo_service(), name="other")
    return live_server(root)


@pytest.fixture
def standalone_demo_server(live_server: Callable[[FastAPI], str]) -> str:
    """Base URL of the demo service served alone, at the root (``uvicorn <service>.main:app``)."""
    return live_server(build_demo_service())

"""Templates: the kit's base page, URLs that follow the mount prefix, escaping, overriding."""

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import httpx
import jinja2
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from servicekit.web import make_templates, mount_static


class _LinkCollector(HTMLParser):
    """Collects the src/href/hx-get/sse-connect URLs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "hx-get", "sse-connect"} and value:
                self.urls.append(value)


def page_urls(html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.parametrize(
    ("server", "prefix"),
    [("demo_server", "/svc"), ("demo_server", "/other"), ("standalone_demo_server", "")],
)
def test_kit_assets_and_routes_follow_the_mount_prefix(
    request: pytest.FixtureRequest, server: str, prefix: str
) -> None:
    base_url = request.getfixturevalue(server)
    urls = page_urls(httpx.get(f"{base_url}{prefix}/ui").text)

    kit_urls = [u for u in urls if "/static/" in u]
    assert len(kit_urls) == 10  # favicon, 3 stylesheets, 6 scripts
    assert all(u.startswith(f"{prefix}/static/kit/") for u in kit_urls), kit_urls
    for url in kit_urls:
        assert httpx.get(base_url + url).status_code == 200, url
    route_urls = [u for u in urls if "/ui" in u]
    assert len(route_urls) == 7  # 4 navigation links, 2 hx-get, 1 sse-connect
    assert all(u.startswith(f"{prefix}/ui") for u in route_urls), route_urls
    for url in route_urls[:-1]:  # the SSE stream never ends
        assert httpx.get(base_url + url).status_code in {200, 503}, url


def test_context_values_are_autoescaped(demo_server: str) -> None:
    html = httpx.get(f"{demo_server}/svc/ui", params={"q": "<script>alert(1)</script>"}).text

    assert "You searched for: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "Welcome back, &lt;b&gt;ada&lt;/b&gt;" in html


def test_base_page_has_language_landmarks_and_live_regions(demo_server: str) -> None:
    html = httpx.get(f"{demo_server}/svc/ui").text

    assert '<html lang="en">' in html
    assert '<a class="kit-skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert 'id="kit-toasts"' in html and 'aria-live="assertive"' in html
    assert 'role="status" aria-live="polite"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_macros_render_badges_and_progress(demo_server: str) -> None:
    html = httpx.get(f"{demo_server}/svc/ui").text

    assert '<span class="kit-badge" data-status="running">running</span>' in html
    assert '<span class="kit-badge" data-status="ok">finished</span>' in html
    assert '<span class="kit-progress-value">40%</span>' in html
    assert '<progress value="2" max="5" aria-label="Cases scored"></progress>' in html


def test_service_templates_shadow_the_kit_and_can_wrap_it(
    tmp_path: Path, live_server: Callable[[FastAPI], str]
) -> None:
    (tmp_path / "base.html").write_text(
        '{% extends "kit/base.html" %}{% block footer %}Service footer{% endblock %}'
    )
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Service page</p>{% endblock %}'
    )
    templates = make_templates(tmp_path)
    app = FastAPI()
    mount_static(app)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "page.html", {})

    html = httpx.get(live_server(app)).text

    assert "Service footer" in html
    assert "<p>Service page</p>" in html
    assert "Skip to main content" in html


def test_undefined_template_variable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "typo.html").write_text("<p>{{ servce_name }}</p>")

    with pytest.raises(jinja2.UndefinedError, match="servce_name"):
        make_templates(tmp_path).get_template("typo.html").render()

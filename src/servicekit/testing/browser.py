"""Browser tests: Playwright (async API) driving Debian's Chromium, and apps served for real.

Use from a ``conftest.py``::

    from servicekit.testing.browser import *  # noqa: F403

Fixtures:

- ``live_server``: a factory; ``base_url = live_server(app)`` serves an ASGI app with uvicorn on
  a free port in a background thread, stopped at the end of the test.
- ``browser`` (session): Chromium from ``/usr/bin/chromium`` (``CHROMIUM_PATH`` overrides it).
  Playwright's own browser download cannot be fetched here, so it is never used.
- ``page`` (function): a fresh browser context and page. The test fails if the page logs a
  JavaScript error (an uncaught exception or a ``console.error``, which includes the browser's
  "Failed to load resource" for any 4xx/5xx). A test that provokes one on purpose declares it
  first through the ``js_errors`` fixture: ``js_errors.allow(r"status of 503")``.

``await screenshot(page, "name")`` writes ``name.png`` under ``SCREENSHOT_DIR``
(default ``test-artifacts/screenshots``) and returns its path.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    async_playwright,
)
from starlette.types import ASGIApp

from servicekit.testing.server import serve_in_thread

__all__ = [
    "CHROMIUM_ARGS",
    "DESKTOP_VIEWPORT",
    "PHONE_VIEWPORT",
    "JavaScriptErrors",
    "browser",
    "chromium_executable",
    "js_errors",
    "live_server",
    "page",
    "screenshot",
    "serve_in_thread",
]

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Root in CI and containers cannot use Chromium's sandbox; the rest keeps a headless run quiet
# and offline (no component updates, sync or first-run pings to Google).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PHONE_VIEWPORT: ViewportSize = {"width": 375, "height": 667}
# Playwright waits 30 s by default; a UI that needs more than this locally is broken.
ACTION_TIMEOUT_MS = 10_000


def chromium_executable() -> Path:
    """The system Chromium to drive; fails the test with the install command when missing."""
    path = Path(os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM))
    if not path.is_file():
        pytest.fail(
            f"Chromium is not installed at {path}; browser tests drive the system Chromium, "
            "not Playwright's download. Install it with: "
            "apt-get update && apt-get install -y chromium "
            "(--no-install-recommends also works), or give its path in CHROMIUM_PATH.",
            pytrace=False,
        )
    return path


@pytest.fixture
def live_server() -> Iterator[Callable[[ASGIApp], str]]:
    """Factory: ``live_server(app)`` -> base URL; every server it started stops at teardown."""
    with ExitStack() as servers:
        yield lambda app: servers.enter_context(serve_in_thread(app))


class JavaScriptErrors:
    """Collects the JavaScript errors a page logs, so a test can fail on the unexpected ones."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def allow(self, pattern: str) -> None:
        """Expect errors whose message matches ``pattern`` (``re.search``): they don't fail."""
        self._allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(p.search(m) for p in self._allowed)]

    def check(self) -> None:
        """Fail the current test if an error that was not allowed was logged."""
        if errors := self.unexpected():
            pytest.fail("The page logged JavaScript errors:\n" + "\n".join(errors), pytrace=False)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.messages.append(f"console.error: {message.text} ({where})")

    def _on_page_error(self, error: Error) -> None:
        self.messages.append(f"uncaught {error.name}: {error.message}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_executable()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def js_errors() -> JavaScriptErrors:
    return JavaScriptErrors()


@pytest_asyncio.fixture(loop_scope="session")
async def page(
    browser: Browser,
    js_errors: JavaScriptErrors,
    # Requested so that the page, with any SSE stream it holds open, closes before the servers
    # stop (fixtures are torn down in reverse order of set-up).
    live_server: Callable[[ASGIApp], str],
) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=DESKTOP_VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        new_page = await context.new_page()
        js_errors.watch(new_page)
        yield new_page
    finally:
        await context.close()
    js_errors.check()


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as ``<SCREENSHOT_DIR>/<name>.png`` and return its path."""
    path = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts/screenshots")) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=path, full_page=True)
    return path

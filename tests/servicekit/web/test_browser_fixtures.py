"""The browser fixtures services build on: JS error capture, live server, screenshots, Chromium."""

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page

from servicekit.testing.browser import (
    JavaScriptErrors,
    chromium_executable,
    screenshot,
    serve_in_thread,
)

pytestmark = pytest.mark.browser


async def test_uncaught_exceptions_and_console_errors_fail_the_check(browser: Browser) -> None:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        errors = JavaScriptErrors()
        errors.watch(page)
        async with page.expect_event("pageerror"):
            await page.set_content(
                "<script>console.error('logged problem'); throw new Error('boom')</script>"
            )

        with pytest.raises(pytest.fail.Exception) as failure:
            errors.check()
        assert "boom" in str(failure.value) and "logged problem" in str(failure.value)

        errors.allow("boom|logged problem")
        errors.check()
    finally:
        await context.close()


def test_live_server_serves_until_its_block_ends() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    with serve_in_thread(app) as base_url:
        assert httpx.get(f"{base_url}/ping").json() == {"pong": "yes"}

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/ping")


def test_live_server_reports_a_failing_startup() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    app = FastAPI(lifespan=lifespan)

    with pytest.raises(RuntimeError, match="exited during startup"), serve_in_thread(app):
        pass


async def test_screenshot_goes_to_screenshot_dir(
    page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENSHOT_DIR", str(tmp_path / "shots"))
    await page.set_content("<h1>Hello</h1>")

    path = await screenshot(page, "hello")

    assert path == tmp_path / "shots" / "hello.png"
    assert path.read_bytes().startswith(b"\x89PNG")


def test_missing_chromium_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))

    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium_executable()


PAGE_FIXTURE_CONFTEST = "from servicekit.testing.browser import *  # noqa\n"
PAGE_FIXTURE_TESTS = """
async def test_clean_page(page):
    await page.set_content("<p>fine</p>")

async def test_page_with_a_javascript_error(page):
    await page.set_content("<script>throw new Error('boom in the page')</script>")
"""
PAGE_FIXTURE_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""


def test_page_fixture_fails_a_test_whose_page_throws(tmp_path: Path) -> None:
    # Run in a separate pytest: the failure under test must not fail this session.
    (tmp_path / "pytest.ini").write_text(PAGE_FIXTURE_INI)
    (tmp_path / "conftest.py").write_text(PAGE_FIXTURE_CONFTEST)
    (tmp_path / "test_pages.py").write_text(PAGE_FIXTURE_TESTS)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout
    # The failing test's call passes; the page fixture then errors at its teardown.
    assert "2 passed, 1 error" in result.stdout
    assert "ERROR at teardown of test_page_with_a_javascript_error" in result.stdout
    assert "uncaught Error: boom in the page" in result.stdout

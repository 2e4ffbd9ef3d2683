"""The kit's base page in Chromium: htmx, markdown, sanitizing, error toasts, SSE, phone, themes."""

import re

import pytest
from playwright.async_api import Page, expect

from servicekit.testing.browser import PHONE_VIEWPORT, JavaScriptErrors, screenshot

pytestmark = pytest.mark.browser


async def open_demo(page: Page, demo_server: str) -> None:
    await page.goto(f"{demo_server}/svc/ui")
    await expect(page.locator("#notes")).to_have_attribute("data-markdown-rendered", "")


async def test_kit_libraries_are_loaded(page: Page, demo_server: str) -> None:
    await open_demo(page, demo_server)

    loaded = await page.evaluate(
        """() => ({
            htmx: window.htmx.version,
            marked: typeof marked.parse,
            purify: typeof DOMPurify.sanitize,
            hljs: typeof hljs.highlightElement,
            kit: typeof kit.toast,
        })"""
    )
    assert loaded["htmx"].startswith("2.")
    assert {loaded[k] for k in ("marked", "purify", "hljs", "kit")} == {"function"}


async def test_htmx_get_swaps_in_rendered_markdown_and_updates_status(
    page: Page, demo_server: str
) -> None:
    await open_demo(page, demo_server)

    await page.get_by_role("button", name="Load details").click()

    details = page.locator("#details")
    await expect(details.get_by_role("heading", name="Details")).to_be_visible()
    await expect(details.locator("strong")).to_have_text("3")
    await expect(details.locator("pre code.hljs .hljs-keyword")).to_have_text("import")
    await expect(page.get_by_role("status")).to_have_text("Details loaded")


async def test_markdown_is_rendered_and_sanitized(page: Page, demo_server: str) -> None:
    await open_demo(page, demo_server)
    notes = page.locator("#notes")

    await expect(notes.get_by_role("heading", name="Release notes")).to_be_visible()
    await expect(notes.get_by_role("link", name="the benchmark")).to_have_attribute(
        "href", "https://example.org/bench"
    )
    await expect(notes.locator("pre code.hljs .hljs-keyword").first).to_have_text("def")
    # Once the (invalid) image has failed to load, an onerror handler left in place has run.
    await page.wait_for_function("() => document.querySelector('#notes img')?.complete")
    assert await notes.locator("script").count() == 0
    assert await notes.get_by_role("img").get_attribute("onerror") is None
    assert not (await notes.get_by_text("a link").get_attribute("href") or "").startswith("javas")
    assert await page.evaluate("window.__xss") is None


async def test_error_envelope_message_is_shown_in_a_toast(
    page: Page, demo_server: str, js_errors: JavaScriptErrors
) -> None:
    js_errors.allow(r"503")  # the browser and htmx both log the failed request
    await open_demo(page, demo_server)

    await page.get_by_role("button", name="Trigger a failure").click()

    toast = page.locator('.kit-toast[data-level="error"]')
    await expect(toast).to_have_text(
        re.compile("The scoring backend is unavailable, try again in a minute")
    )
    await expect(page.locator("#details")).to_be_empty()
    await toast.get_by_role("button", name="Dismiss notification").click()
    await expect(toast).to_have_count(0)


async def test_flash_messages_show_as_dismissable_toasts(page: Page, demo_server: str) -> None:
    await open_demo(page, demo_server)
    toast = page.locator('.kit-toast[data-level="success"]')

    await expect(toast).to_contain_text("Welcome back, <b>ada</b>")
    await toast.get_by_role("button", name="Dismiss notification").click()
    await expect(toast).to_have_count(0)


async def test_sse_extension_swaps_streamed_markdown(page: Page, demo_server: str) -> None:
    await open_demo(page, demo_server)

    await expect(page.locator("#live strong")).to_have_text("update")


async def test_phone_width_has_no_horizontal_scroll(page: Page, demo_server: str) -> None:
    await page.set_viewport_size(PHONE_VIEWPORT)
    await open_demo(page, demo_server)
    await page.get_by_role("button", name="Load details").click()
    await expect(page.locator("#details strong")).to_have_text("3")

    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == PHONE_VIEWPORT["width"]
    for name in ("Load details", "Trigger a failure"):
        box = await page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert (await screenshot(page, "kit-base-phone")).stat().st_size > 0


async def test_skip_link_and_landmarks(page: Page, demo_server: str) -> None:
    await open_demo(page, demo_server)

    await page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    await expect(skip_link).to_be_focused()
    await expect(skip_link).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("main")).to_be_focused()

    await expect(page.get_by_role("banner")).to_have_count(1)
    await expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    await expect(page.get_by_role("contentinfo")).to_have_count(1)
    await expect(page.get_by_role("region", name="Notifications")).to_have_count(1)


def _luminance(css_rgb: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize(("scheme", "dark"), [("light", False), ("dark", True)])
async def test_follows_the_system_colour_scheme(
    page: Page, demo_server: str, scheme: str, dark: bool
) -> None:
    await page.emulate_media(color_scheme=scheme)
    await open_demo(page, demo_server)

    background = await page.evaluate(
        "() => getComputedStyle(document.documentElement).backgroundColor"
    )
    text = await page.evaluate("() => getComputedStyle(document.body).color")
    assert (_luminance(background) < 0.5) is dark
    assert (_luminance(text) < 0.5) is not dark
    await screenshot(page, f"kit-base-{scheme}")

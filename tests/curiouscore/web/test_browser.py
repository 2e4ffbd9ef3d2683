"""The web app in Debian's Chromium against a real server with the scripted Game Master: a
learner signs up and plays a seeded challenge through every step type to its XP and badge; a
wrong choice keeps the step; an LLM outage shows a calm message and play goes on; an admin
builds a three-step challenge that a learner then plays; the play screen on a phone.

Screenshots: ``test-artifacts/screenshots/curiouscore-*.png`` (``SCREENSHOT_DIR``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from servicekit.llm import LLMUnavailable
from servicekit.testing.browser import PHONE_VIEWPORT, JavaScriptErrors, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
FUNCTIONS = "Functions: Small Machines with Names"
# Narration and grading take a scripted model call each; generous for a loaded 2-core machine.
PLAY_TIMEOUT_MS = 15_000


async def sign_up(page: Page, url: Callable[[str], str], name: str) -> str:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    await page.goto(url("/ui/register"))
    await page.get_by_label("Username").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url(re.compile(r"/ui$"))
    return email


async def start(page: Page, title: str) -> None:
    card = page.locator("article.challenge-card", has_text=title)
    await card.get_by_role("button", name="Start").click()
    await page.wait_for_url(re.compile(r"/ui/sessions/[0-9a-f-]{36}$"))


async def at_step(page: Page, index: int, widget: str) -> None:
    play = page.locator("#play")
    await expect(play).to_have_attribute("data-step", str(index), timeout=PLAY_TIMEOUT_MS)
    await expect(play).to_have_attribute("data-widget", widget, timeout=PLAY_TIMEOUT_MS)


async def shown_inputs(page: Page) -> dict[str, int]:
    """How many of each answer control the play panel holds."""
    answer = page.locator("#play .answer")
    return {
        "radio": await answer.locator("input[type=radio]").count(),
        "checkbox": await answer.locator("input[type=checkbox]").count(),
        "textarea": await answer.locator("textarea").count(),
        "true_false": await answer.get_by_role("button", name="True", exact=True).count(),
        "continue": await answer.get_by_role("button", name="Continue").count(),
    }


async def cont(page: Page) -> None:
    await page.locator("#play .answer").get_by_role("button", name="Continue").click()


async def choose(page: Page, *labels: str) -> None:
    answer = page.locator("#play .answer")
    for label in labels:
        await answer.get_by_label(label, exact=True).check()
    await answer.get_by_role("button", name=re.compile(r"^Submit answers?$")).click()


async def write(page: Page, text: str) -> None:
    await page.get_by_role("textbox", name="Your answer").fill(text)
    await page.get_by_role("button", name="Send").click()


async def test_a_learner_plays_a_seeded_challenge_through_every_step_type(
    page: Page, url: Callable[[str], str], seeded: Any, gm: Any
) -> None:
    await sign_up(page, url, "ada")
    await expect(page.locator('[data-stat="xp"]')).to_have_text("0")
    card = page.locator("article.challenge-card", has_text=FUNCTIONS)
    await expect(card).to_contain_text("beginner")
    await expect(card).to_contain_text("#functions")
    await expect(card).to_contain_text("20 min")
    await expect(card).to_contain_text("100 XP")
    await screenshot(page, "curiouscore-dashboard")

    await start(page, FUNCTIONS)
    await at_step(page, 0, "continue")
    assert await shown_inputs(page) == {
        "radio": 0,
        "checkbox": 0,
        "textarea": 0,
        "true_false": 0,
        "continue": 1,
    }
    await expect(page.locator("#transcript")).to_contain_text("The Game Master welcomes you")
    await cont(page)

    await at_step(page, 1, "radio")
    assert await shown_inputs(page) == {
        "radio": 4,
        "checkbox": 0,
        "textarea": 0,
        "true_false": 0,
        "continue": 0,
    }
    await screenshot(page, "curiouscore-mcq")
    await choose(
        page,
        "A named block of code that can be run whenever it is needed, with inputs and a result",
    )

    await at_step(page, 2, "checkboxes")
    assert (await shown_inputs(page))["checkbox"] == 6
    # The instruction is Markdown: its inline code is rendered as code.
    await expect(page.locator(".step-card code").first).to_contain_text("def area")
    await choose(
        page,
        "Its name, area",
        "Its parameters, width and height",
        "Its body, the code it runs",
        "The value it returns",
    )

    await at_step(page, 3, "true_false")
    assert await shown_inputs(page) == {
        "radio": 0,
        "checkbox": 0,
        "textarea": 0,
        "true_false": 1,
        "continue": 0,
    }
    await page.get_by_role("button", name="False", exact=True).click()

    await at_step(page, 4, "text")
    assert (await shown_inputs(page))["textarea"] == 1
    await expect(page.get_by_role("button", name=re.compile(r"^Hint"))).to_be_visible()
    await page.get_by_role("button", name=re.compile(r"^Hint")).click()
    await expect(page.locator("#transcript .message.hint")).to_contain_text(
        "What does each option have in common?", timeout=PLAY_TIMEOUT_MS
    )
    await expect(page.locator("[data-hints]")).to_have_text("1")
    await write(page, "Write once, reuse many times: a `send_email()` function saves repeats.")
    await screenshot(page, "curiouscore-chat")

    await at_step(page, 5, "continue")
    await expect(page.locator("#transcript")).to_contain_text("You scored 30")
    await cont(page)
    await at_step(page, 6, "radio")
    await choose(page, "12")

    completion = page.locator(".completion-card")
    await expect(completion).to_be_visible(timeout=PLAY_TIMEOUT_MS)
    await expect(completion).to_contain_text("Challenge complete!")
    await expect(completion).to_contain_text("Passed")
    # 87/90 after the hint's 10% (3 points) off the 30-point step.
    await expect(completion.locator("[data-final-score]")).to_have_text("87/90")
    await expect(completion.locator(".xp-gained")).to_have_text("+146 XP")  # 96 + 50 badge
    await expect(completion.locator(".new-badge")).to_contain_text("First Steps")
    await screenshot(page, "curiouscore-complete")

    await completion.get_by_role("button", name="Back to the dashboard").click()
    await expect(page.locator('[data-stat="xp"]')).to_have_text("146")
    await expect(page.locator('[data-stat="completed"]')).to_have_text("1")
    await expect(card).to_contain_text("Completed")
    await page.get_by_role("link", name="Profile").click()
    await expect(page.locator('.badge-card[data-badge="first-steps"]')).to_have_attribute(
        "data-earned", "yes"
    )
    await page.get_by_role("link", name="Leaderboard").click()
    await expect(page.locator("tr.me")).to_contain_text("146")


async def test_a_wrong_choice_keeps_the_learner_on_the_step(
    page: Page, url: Callable[[str], str], every_type: str, gm: Any
) -> None:
    title = await page_title_of(page, url, every_type)
    await sign_up(page, url, "grace")
    # Model output is untrusted: its Markdown is rendered, its code highlighted, its script not.
    gm.narration.append(
        "Welcome!\n\n```python\nprint('hi')\n```\n\n<script>window.pwned = 1</script>"
        '<a href="javascript:window.pwned = 2">click</a>'
    )
    await start(page, title)
    await at_step(page, 0, "continue")
    narration = page.locator("#transcript .message").first
    await expect(narration.locator("pre code.hljs")).to_contain_text("print('hi')")
    assert await narration.locator("script").count() == 0
    assert await narration.locator("a").get_attribute("href") is None
    assert await page.evaluate("window.pwned") is None
    await page.evaluate("window.samePage = true")
    await cont(page)
    await at_step(page, 1, "radio")

    await choose(page, "Carrot")

    await expect(page.locator("#transcript")).to_contain_text("Not quite. Try again.")
    await at_step(page, 1, "radio")
    await expect(page.locator("[data-score]")).to_have_text("0/100")
    await screenshot(page, "curiouscore-wrong-answer")
    await choose(page, "Apple")
    await at_step(page, 2, "checkboxes")
    await expect(page.locator("[data-score]")).to_have_text("20/100")
    # htmx swapped the play panel in place: the page itself never reloaded.
    assert await page.evaluate("window.samePage") is True


async def test_an_llm_outage_shows_a_calm_message_and_the_game_goes_on(
    page: Page, url: Callable[[str], str], every_type: str, gm: Any
) -> None:
    title = await page_title_of(page, url, every_type)
    await sign_up(page, url, "hopper")
    gm.narration.append(LLMUnavailable("provider said: upstream 502 at 10.0.0.7"))
    await start(page, title)

    await at_step(page, 0, "continue")
    notice = page.locator(".calm-notice")
    await expect(notice).to_contain_text("your progress is saved")
    await expect(page.locator("#transcript .message.calm")).to_contain_text(
        "The Game Master is quiet for a moment"
    )
    await expect(page.locator("body")).not_to_contain_text("502")
    await cont(page)
    await at_step(page, 1, "radio")
    await expect(notice).to_have_count(0)
    await choose(page, "Apple")
    await at_step(page, 2, "checkboxes")
    await choose(page, "2", "3", "5")
    await at_step(page, 3, "true_false")
    await page.get_by_role("button", name="False", exact=True).click()
    await at_step(page, 4, "text")

    gm.lem.append(LLMUnavailable("provider said: overloaded"))
    await write(page, "Light becomes sugar in the leaves.")
    await expect(notice).to_contain_text("Nothing is lost", timeout=PLAY_TIMEOUT_MS)
    await expect(page.locator("#transcript .message.calm").last).to_contain_text(
        "send it again in a moment"
    )
    await at_step(page, 4, "text")
    await screenshot(page, "curiouscore-llm-down")

    await write(page, "Light becomes sugar in the leaves.")
    completion = page.locator(".completion-card")
    await expect(completion).to_be_visible(timeout=PLAY_TIMEOUT_MS)
    await expect(completion.locator("[data-final-score]")).to_have_text("100/100")


async def test_an_admin_builds_a_three_step_challenge_that_a_learner_plays(
    page: Page, url: Callable[[str], str], admin: Any, gm: Any, js_errors: JavaScriptErrors
) -> None:
    js_errors.allow(r"status of 422")  # the rubric refused on purpose: the form comes back 422
    title = f"Admin made {uuid.uuid4().hex[:6]}"
    await page.goto(url("/ui/login"))
    await page.get_by_label("Email").fill("admin@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Admin").click()
    await page.get_by_role("button", name="New challenge").click()

    form = page.locator("form.challenge-form")
    await form.get_by_label("Title", exact=True).fill(title)
    await form.get_by_label("Description").fill("Three quick steps.")
    await form.get_by_label("Tags (comma separated)").fill("quick, demo")
    await form.get_by_label("Difficulty").select_option("intermediate")
    await form.get_by_label("XP reward").fill("60")
    await form.get_by_role("button", name="Create challenge").click()
    await expect(page.locator("h1")).to_have_text(title)

    steps = page.locator("form.step-form")
    await steps.get_by_label("Type").select_option("CONTINUE_GATE")
    await steps.get_by_label("Title", exact=True).fill("Warm up")
    await steps.get_by_label("Instruction (Markdown)").fill("Ready? Press **Continue**.")
    await steps.get_by_role("button", name="Add step").click()
    await expect(page.locator(".step-list li")).to_have_count(1)

    await page.locator("details.add-step summary").click()
    await steps.get_by_label("Type").select_option("MCQ_SINGLE")
    await steps.get_by_label("Title", exact=True).fill("Capital")
    await steps.get_by_label("Instruction (Markdown)").fill("The capital of France?")
    await steps.get_by_label("Option 1", exact=True).fill("Lyon")
    await steps.get_by_label("Option 2", exact=True).fill("Paris")
    await steps.get_by_label("Option 2 is correct").check()
    await steps.get_by_role("button", name="Add step").click()
    await expect(page.locator(".step-list li")).to_have_count(2)

    await page.locator("details.add-step summary").click()
    await steps.get_by_label("Type").select_option("CHAT")
    await steps.get_by_label("Title", exact=True).fill("Why Paris")
    await steps.get_by_label("Instruction (Markdown)").fill("Why is Paris the capital?")
    await steps.get_by_label("Rubric (CHAT steps, JSON)").fill("{not json")
    await steps.get_by_role("button", name="Add step").click()
    await expect(page.locator(".add-step .form-error")).to_contain_text("Rubric is not valid JSON")
    await steps.get_by_label("Rubric (CHAT steps, JSON)").fill(
        '{"criteria": {"history": {"description": "Mentions history", "points": 10}}}'
    )
    await steps.get_by_role("button", name="Add step").click()
    await expect(page.locator(".step-list li")).to_have_count(3)
    await expect(page.locator(".step-list li strong")).to_have_text(
        ["Warm up", "Capital", "Why Paris"]
    )
    await page.get_by_role("button", name="Move Why Paris up").click()
    await expect(page.locator(".step-list li strong")).to_have_text(
        ["Warm up", "Why Paris", "Capital"]
    )
    await screenshot(page, "curiouscore-admin-editor")

    await page.get_by_role("link", name="Admin").click()
    await page.get_by_label("Search").fill(title)
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator(".challenges-table tbody tr")).to_have_count(1)
    await expect(page.locator(".challenges-table tbody tr")).to_contain_text("3")
    await screenshot(page, "curiouscore-admin-table")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(re.compile(r"/ui/login$"))

    await sign_up(page, url, "linus")
    await start(page, title)
    await at_step(page, 0, "continue")
    await cont(page)
    await at_step(page, 1, "text")
    await write(page, "Centuries of kings and government made it the centre.")
    await at_step(page, 2, "radio")
    await choose(page, "Paris")
    completion = page.locator(".completion-card")
    await expect(completion).to_be_visible(timeout=PLAY_TIMEOUT_MS)
    await expect(completion).to_contain_text("+110 XP")  # 60 + the First Steps badge's 50


async def test_the_play_screen_fits_a_phone(
    browser: Browser,
    js_errors: JavaScriptErrors,
    url: Callable[[str], str],
    seeded: Any,
    gm: Any,
) -> None:
    context = await browser.new_context(viewport=PHONE_VIEWPORT)
    try:
        page = await context.new_page()
        js_errors.watch(page)
        await sign_up(page, url, "mobile")
        assert await fits_width(page)
        await start(page, FUNCTIONS)
        await at_step(page, 0, "continue")
        await cont(page)
        await at_step(page, 1, "radio")
        assert await fits_width(page)
        await expect(
            page.locator("#play .answer").get_by_role("button", name="Submit answer")
        ).to_be_in_viewport()
        await screenshot(page, "curiouscore-phone")
    finally:
        await context.close()
    js_errors.check()


async def fits_width(page: Page) -> bool:
    return await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


async def page_title_of(page: Page, url: Callable[[str], str], challenge_id: str) -> str:
    """The title of a challenge made through the API (the fixture picks a random one)."""
    response = await page.request.get(url(f"/challenges/{challenge_id}"))
    assert response.ok
    return (await response.json())["title"]

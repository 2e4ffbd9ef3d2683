"""The dashboard in Chromium against the running service with scripted debaters: a run started
from the form, its transcript filling live, a reload and a dropped connection mid-run that lose
and repeat nothing, the case replay, the compare page, the history filters, a phone-size screen.

Screenshots go to ``SCREENSHOT_DIR`` (the kit's default: ``test-artifacts/screenshots``), the
folder CI keeps as artifacts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from servicekit.testing.browser import PHONE_VIEWPORT, JavaScriptErrors, screenshot

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 20_000
MESSAGES_BEFORE_JUDGE = 13  # the scripted debate agrees early: 13 turns, then the judge's
# A broken connection, as the browser reports it: the EventSource is closed, then its error
# handler runs (htmx keeps the source in the element's internal data).
DROP_STREAM = "document.getElementById('live')['htmx-internal-data'].sseEventSource.close()"
FAIL_STREAM = """() => {
    const source = document.getElementById('live')['htmx-internal-data'].sseEventSource;
    source.onerror(new Event('error'));
}"""


async def transcript_ids(page: Page) -> list[str]:
    return await page.locator("#transcript > li.entry").evaluate_all(
        "entries => entries.map(entry => entry.id)"
    )


async def assert_transcript_matches_api(page: Page, galileo: Any, run_id: str) -> None:
    """Every stored message shown once, in order, and every entry once."""
    api_messages = await galileo.messages(run_id)
    shown = page.locator("#transcript > li.message")
    await expect(shown).to_have_count(len(api_messages), timeout=LIVE_TIMEOUT_MS)
    roles = await shown.evaluate_all("items => items.map(item => item.dataset.role)")
    assert roles == [message["role"] for message in api_messages]
    ids = await transcript_ids(page)
    assert len(ids) == len(set(ids)), "an event is shown twice"
    seqs = [int(entry_id.removeprefix("ev-")) for entry_id in ids]
    assert seqs == sorted(seqs)


async def start_from_form(page: Page, galileo: Any, model_key: str) -> str:
    await page.goto(galileo.url(f"/ui/runs/new?dataset_id={galileo.dataset_id}"))
    # Only the picker of the chosen selection shows.
    await page.get_by_role("radio", name="Several cases").check()
    await expect(page.get_by_label("Case (for “one case”)")).to_be_hidden()
    await expect(page.locator(".case-checklist")).to_be_visible()
    await page.get_by_role("radio", name="One case").check()
    await expect(page.locator(".case-checklist")).to_be_hidden()
    await page.get_by_label("Case (for “one case”)").select_option(galileo.case_id)
    await page.get_by_label(model_key).check()
    await page.get_by_role("button", name="Run debate").click()
    await page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


async def test_live_run_from_the_form_survives_reload_and_reconnect(
    page: Page,
    js_errors: JavaScriptErrors,
    galileo: Any,
    scripted: Callable[..., str],
    gates: Callable[[], Any],
) -> None:
    js_errors.allow(r"^console\.error: \[object Event\]")  # htmx logs the broken stream
    start, judge = gates(), gates()
    scripted("ui-live", start=start, gate=judge, delay=0.05)

    run_id = await start_from_form(page, galileo, "scripted/ui-live")
    await expect(page.locator("#live[sse-connect]")).to_have_count(1)
    assert await page.locator("#transcript > li.message").count() == 0
    await expect(page.locator(".run-header .kit-badge").first).to_have_text(
        re.compile("PENDING|RUNNING")
    )

    # The debaters speak only now: every message reaches the open page over SSE.
    start.open()
    shown = page.locator("#transcript > li.message")
    await expect(shown.first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(shown).to_have_count(MESSAGES_BEFORE_JUDGE, timeout=LIVE_TIMEOUT_MS)
    await expect(page.locator(".run-header .kit-badge").first).to_have_text("RUNNING")
    await expect(page.locator('#transcript [data-kind="proposal"]')).to_have_count(3)
    await expect(page.locator('#transcript [data-role="Skeptic"]').first).to_be_visible()
    await assert_transcript_matches_api(page, galileo, run_id)
    await screenshot(page, "galileo-run-live")

    # Reload mid-run: the page is rendered with what happened and resumes after it.
    await page.reload()
    await expect(page.locator("#live[sse-connect]")).to_have_count(1)
    await assert_transcript_matches_api(page, galileo, run_id)

    # The stream breaks while the judge decides; the SSE extension then opens a new one, from
    # the stream's URL, which the page keeps pointing after the last event it showed.
    last_seq = max(int(entry_id.removeprefix("ev-")) for entry_id in await transcript_ids(page))
    await page.evaluate(DROP_STREAM)
    judge.open()
    await galileo.finished(run_id)
    resume_url = await page.locator("#live").get_attribute("sse-connect")
    assert resume_url is not None and resume_url.endswith(f"?last_event_id={last_seq}")
    await page.evaluate(FAIL_STREAM)

    await expect(page.locator(".run-header .kit-badge").first).to_have_text(
        "COMPLETED", timeout=LIVE_TIMEOUT_MS
    )
    await assert_transcript_matches_api(page, galileo, run_id)
    judge_entry = page.locator('#transcript [data-kind="judge"]')
    await expect(judge_entry).to_have_count(1)
    await expect(judge_entry.locator(".kit-badge")).to_have_text("SUPPORTED")
    await expect(judge_entry.locator(".confidence")).to_have_text("confidence 90%")
    await expect(page.locator("#transcript .entry.scored")).to_contain_text("PASS")
    await expect(page.locator(".run-progress")).to_contain_text("Debates finished: 1 of 1")
    board = page.locator('.leaderboard tr[data-model="scripted/ui-live"]')
    await expect(board).to_contain_text("PASS")
    await expect(board).to_contain_text("100%")
    diagonal = page.locator(".confusion td[data-correct]")
    assert await diagonal.evaluate_all("cells => cells.map(c => c.textContent)") == ["1", "0", "0"]
    drawn = await page.locator("canvas[data-histogram]").evaluate(
        "canvas => Chart.getChart(canvas).data.datasets[0].data"
    )
    assert drawn == [0, 0, 0, 0, 1]
    await screenshot(page, "galileo-run-finished")


async def test_a_run_of_several_models_and_cases_streams_whole(
    page: Page,
    galileo: Any,
    scripted: Callable[..., str],
    gates: Callable[[], Any],
) -> None:
    start = gates()
    models = [
        scripted("ui-duo-a", start=start, delay=0.02),
        scripted("ui-duo-b", start=start, verdict="REFUTED", delay=0.02),
    ]
    cases = ["CL01", "CL02"]
    run_id = await galileo.start_run(models, case_ids=cases)
    await page.goto(galileo.url(f"/ui/runs/{run_id}"))
    await expect(page.locator("#live[sse-connect]")).to_have_count(1)

    start.open()  # four debates, two at a time, interleaved in one transcript
    await expect(page.locator(".run-header .kit-badge").first).to_have_text(
        "COMPLETED", timeout=LIVE_TIMEOUT_MS
    )

    stored = [m for case in cases for m in await galileo.messages(run_id, case)]
    await expect(page.locator("#transcript > li.message")).to_have_count(len(stored))
    ids = await transcript_ids(page)
    assert len(ids) == len(set(ids))
    await expect(page.locator("#transcript > li.scored")).to_have_count(4)
    await expect(page.locator(".leaderboard tbody tr")).to_have_count(2)
    await expect(page.locator(".failures li")).to_have_count(2)
    await expect(page.locator(".run-progress")).to_contain_text("Debates finished: 4 of 4")
    await screenshot(page, "galileo-run-several")


async def test_case_replay_shows_every_phase_and_the_result(
    page: Page, galileo: Any, scripted: Callable[..., str]
) -> None:
    # The judge answers REFUTED on a SUPPORTED case: a failure the run page links to.
    scripted("ui-replay", judge_verdict="REFUTED")
    run_id = await galileo.start_run(["scripted/ui-replay"])
    await galileo.finished(run_id)
    result = (await galileo.api.get(f"/runs/{run_id}/cases/{galileo.case_id}")).json()

    await page.goto(galileo.url(f"/ui/runs/{run_id}"))
    failure = page.locator(".failures li").first
    await expect(failure).to_contain_text(galileo.case_id)
    await failure.get_by_role("link", name=galileo.case_id).click()
    await page.wait_for_url(re.compile(rf"/cases/{galileo.case_id}$"))

    await expect(page.get_by_role("heading", level=1)).to_contain_text(galileo.case_id)
    phases = page.locator(".replay-phase h3")
    await expect(phases).to_have_text(
        ["Independent proposals", "Cross-examination", "Revision", "Judge"]
    )
    await expect(page.locator(".transcript > li.message")).to_have_count(len(result["messages"]))
    verdict = page.locator(".result-line")
    await expect(verdict).to_contain_text(f"{result['results'][0]['score']}/100")
    await expect(verdict).to_contain_text("FAIL")
    await expect(verdict.locator(".kit-badge")).to_have_text(["FAIL", "REFUTED", "SUPPORTED"])
    await expect(page.locator("table.breakdown tbody tr")).to_have_count(6)

    judge_json = page.locator("details", has_text="Judge JSON")
    await expect(judge_json.locator("pre")).to_be_hidden()
    await judge_json.locator("summary").click()
    await expect(judge_json.locator("pre")).to_contain_text('"verdict": "REFUTED"')
    await screenshot(page, "galileo-case-replay")


async def test_compare_two_runs_and_filter_the_history(
    page: Page, galileo: Any, flipping_runs: tuple[str, str, str]
) -> None:
    model, run_a, run_b = flipping_runs

    await page.goto(galileo.url("/ui/compare"))
    await page.get_by_label("Run A (baseline)").select_option(run_a)
    await page.get_by_label("Run B (compared with A)").select_option(run_b)
    await page.get_by_role("button", name="Compare").click()
    await expect(page.locator(".compare-table tbody tr")).to_have_count(2)
    await expect(page.locator('tr[data-flip="regression"]')).to_contain_text("CL01")
    await expect(page.locator('tr[data-flip="improvement"]')).to_contain_text("CL02")
    await expect(page.locator("dd.regressions")).to_have_text("1")
    await screenshot(page, "galileo-compare")

    # History: filters swap the table in place (htmx) and stay in the address bar.
    await page.goto(galileo.url("/ui/runs"))
    await page.get_by_label("Model").fill(model)
    await page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.runs tbody tr[data-run]")
    await expect(rows).to_have_count(2)
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.run)") == [run_b, run_a]
    await page.get_by_label("Status").select_option("FAILED")
    await expect(page.locator("table.runs")).to_contain_text("No run matches these filters.")
    await expect(page).to_have_url(re.compile(r"status=FAILED"))


async def test_phone_sized_screens_do_not_scroll_sideways(
    page: Page, galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-phone")
    run_id = await galileo.start_run(["scripted/ui-phone"])
    await galileo.finished(run_id)
    await page.set_viewport_size(PHONE_VIEWPORT)

    for name, path in (
        ("home", "/ui"),
        ("datasets", "/ui/datasets"),
        ("dataset", f"/ui/datasets/{galileo.dataset_id}"),
        ("new-run", "/ui/runs/new"),
        ("run", f"/ui/runs/{run_id}"),
        ("case", f"/ui/runs/{run_id}/cases/{galileo.case_id}"),
        ("results", f"/ui/runs/{run_id}/results"),
        ("runs", "/ui/runs"),
        ("compare", f"/ui/compare?a={run_id}&b={run_id}"),
    ):
        await page.goto(galileo.url(path))
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_VIEWPORT["width"], f"{path} is {width}px wide on a phone"
        # Every form control has an accessible name.
        unnamed = await page.locator("input, select, textarea, button").evaluate_all(
            """controls => controls
                .filter(c => c.type !== "hidden" && !c.closest("noscript"))
                .filter(c => !(c.labels && c.labels.length) && !c.getAttribute("aria-label")
                             && !c.textContent.trim())
                .map(c => c.outerHTML)"""
        )
        assert not unnamed, f"{path}: controls without a label: {unnamed}"
        await screenshot(page, f"galileo-phone-{name}")


async def test_everything_works_without_javascript(
    browser: Browser,
    galileo: Any,
    scripted: Callable[..., str],
) -> None:
    scripted("ui-nojs")
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(galileo.url("/ui/runs/new"))
        await page.get_by_label("Dataset", exact=True).select_option("history_v1")
        await page.get_by_role("button", name="Show this dataset's cases").click()
        await expect(page.get_by_label("Case (for “one case”)")).to_contain_text("HI01")
        await page.get_by_label("Case (for “one case”)").select_option("HI02")
        await page.get_by_label("scripted/ui-nojs").check()
        await page.get_by_role("button", name="Run debate").click()
        await page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f-]{36}$"))
        run_id = page.url.rsplit("/", 1)[1]
        info = await galileo.finished(run_id)
        assert info["case_ids"] == ["HI02"]

        await page.reload()
        await expect(page.locator(".run-header .kit-badge").first).to_have_text("COMPLETED")
        messages = await galileo.messages(run_id, "HI02")
        await expect(page.locator("#transcript > li.message")).to_have_count(len(messages))
        await page.get_by_role("link", name="Runs", exact=True).click()
        await page.get_by_label("Status").select_option("COMPLETED")
        await page.get_by_role("button", name="Filter").click()
        await expect(page).to_have_url(re.compile(r"status=COMPLETED"))
        await expect(page.locator(f'tr[data-run="{run_id}"]')).to_have_count(1)
    finally:
        await context.close()

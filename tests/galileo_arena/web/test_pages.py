"""The dashboard's pages over plain HTTP: status codes, what they show, what they never show
(labels before scoring), the run form's checks, and the live page's own event stream."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx_sse import ServerSentEvent, aconnect_sse

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from galileo_arena.web import live
from servicekit.llm import configured_providers

VERDICT_WORDS = re.compile(r"SUPPORTED|REFUTED|INSUFFICIENT")


def run_id_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/ui/runs/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def test_landing_links_every_part_of_the_dashboard(galileo: Any) -> None:
    page = await galileo.api.get("/ui")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path in ("/ui/datasets", "/ui/runs/new", "/ui/runs", "/ui/compare"):
        assert f'href="{path}"' in page.text
    assert "Get started" in page.text
    # The page's own assets and the kit's are served.
    for asset in re.findall(r'(?:src|href)="(/(?:ui/)?static/[^"]+)"', page.text):
        assert (await galileo.api.get(asset)).status_code == 200, asset


async def test_datasets_page_shows_a_card_per_dataset(galileo: Any) -> None:
    datasets = (await galileo.api.get("/datasets")).json()

    page = await galileo.api.get("/ui/datasets")

    assert page.status_code == 200
    assert page.text.count('class="dataset-card"') == len(datasets) >= 5
    for dataset in datasets:
        assert f">{dataset['id']}</a>" in page.text
        assert f"v{dataset['version']} · {dataset['case_count']} cases" in page.text


async def test_dataset_cases_are_listed_without_their_labels(galileo: Any) -> None:
    detail = (await galileo.api.get(f"/datasets/{galileo.dataset_id}")).json()

    page = await galileo.api.get(f"/ui/datasets/{galileo.dataset_id}")

    assert page.status_code == 200
    rows = re.findall(r'<tr data-case="([^"]+)">', page.text)
    assert rows == [case["case_id"] for case in detail["cases"]]
    for case in detail["cases"]:
        assert case["topic"] in page.text
    assert not VERDICT_WORDS.search(page.text), "a label leaked into the dataset page"


async def test_unknown_pages_answer_404_as_html(galileo: Any) -> None:
    for path in ("/ui/datasets/nope", "/ui/runs/00000000-0000-0000-0000-000000000000"):
        page = await galileo.api.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "Not found" in page.text

    # htmx asks for fragments: those keep the JSON envelope, which kit.js shows as a toast.
    fragment = await galileo.api.get(
        "/ui/runs/00000000-0000-0000-0000-000000000000/panels", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 404
    assert fragment.json()["error"]["code"] == "run_not_found"


async def test_run_form_offers_only_configured_providers(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-form")

    page = await galileo.api.get(f"/ui/runs/new?dataset_id={galileo.dataset_id}")

    assert page.status_code == 200
    offered = re.findall(r'name="models" value="([^"]+)"', page.text)
    assert "scripted/ui-form" in offered
    # Exactly the providers usable on this server; no key is set here, so no paid provider.
    configured = configured_providers(Settings(_env_file=None))
    assert {key.partition("/")[0] for key in offered} <= set(configured)
    assert "openai" not in configured and not [k for k in offered if k.startswith("openai/")]
    cases = re.findall(r'name="case_ids" value="([^"]+)"', page.text)
    detail = (await galileo.api.get(f"/datasets/{galileo.dataset_id}")).json()
    assert cases == [case["case_id"] for case in detail["cases"]]
    assert not VERDICT_WORDS.search(page.text)


async def test_run_form_cases_follow_the_chosen_dataset(galileo: Any) -> None:
    fragment = await galileo.api.get(
        "/ui/runs/new/cases?dataset_id=history_v1", headers={"HX-Request": "true"}
    )

    assert fragment.status_code == 200
    detail = (await galileo.api.get("/datasets/history_v1")).json()
    options = re.findall(r'<option value="([^"]+)"', fragment.text)
    assert options == [case["case_id"] for case in detail["cases"]]


async def test_run_form_rejects_bad_choices_with_the_reason(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-bad")
    base = {"dataset_id": galileo.dataset_id, "case_id": galileo.case_id, "concurrency": "2"}
    cases = [
        ({**base, "selection": "one"}, 422, "choose at least one model"),
        (
            {**base, "selection": "one", "other_models": "openai/gpt-4o"},
            422,
            "No API key found for provider &#39;openai&#39;. Set OPENAI_API_KEY",
        ),
        ({**base, "selection": "several", "models": "scripted/ui-bad"}, 422, "tick at least"),
        (
            {**base, "selection": "one", "case_id": "NOPE", "models": "scripted/ui-bad"},
            404,
            "Case not found in dataset: NOPE",
        ),
        ({**base, "selection": "one", "models": "no-slash"}, 422, "a model is"),
        ({**base, "selection": "one", "models": "scripted/ui-bad", "concurrency": "0"}, 422,
         "at least 1"),
    ]  # fmt: skip
    before = (await galileo.api.get("/runs")).json()["total"]
    for form, status, message in cases:
        page = await galileo.api.post("/ui/runs", data=form)
        assert page.status_code == status, (form, page.text[:300])
        assert message in page.text, (form, message)
        assert 'role="alert"' in page.text
        # The form comes back as it was filled in.
        assert f'<option value="{galileo.dataset_id}" selected' in page.text
    assert (await galileo.api.get("/runs")).json()["total"] == before


async def test_form_starts_one_several_or_all_cases(
    galileo: Any, scripted: Callable[..., str], gates: Any,
) -> None:  # fmt: skip
    # Held at the gate: the runs are created and stay queued; only their case lists matter here.
    scripted("ui-select", start=gates())
    detail = (await galileo.api.get(f"/datasets/{galileo.dataset_id}")).json()
    all_cases = [case["case_id"] for case in detail["cases"]]
    base = {"dataset_id": galileo.dataset_id, "models": "scripted/ui-select", "concurrency": "1"}

    one = run_id_of(await galileo.api.post("/ui/runs", data={**base, "selection": "one",
                                                               "case_id": "CL02"}))  # fmt: skip
    several = run_id_of(
        await galileo.api.post(
            "/ui/runs", data={**base, "selection": "several", "case_ids": ["CL03", "CL05"]}
        )
    )
    whole = run_id_of(
        await galileo.api.post(
            "/ui/runs", data={**base, "selection": "all", "judge_model": "scripted/ui-select"}
        )
    )

    for run_id, expected in ((one, ["CL02"]), (several, ["CL03", "CL05"]), (whole, all_cases)):
        info = (await galileo.api.get(f"/runs/{run_id}")).json()
        assert info["case_ids"] == expected
        assert info["models"] == [{"provider": "scripted", "model_name": "ui-select"}]
        assert info["judge_model"] == ("scripted/ui-select" if run_id == whole else None)
        await galileo.api.post(f"/runs/{run_id}/cancel")


async def test_run_page_reveals_no_label_before_scoring(
    galileo: Any, scripted: Callable[..., str], gates: Any
) -> None:
    judge = gates()
    scripted("ui-hidden", gate=judge)
    run_id = await galileo.start_run(["scripted/ui-hidden"])
    await galileo.wait_for_messages(run_id, 13)

    page = await galileo.api.get(f"/ui/runs/{run_id}")
    replay = await galileo.api.get(f"/ui/runs/{run_id}/cases/{galileo.case_id}")

    assert page.status_code == replay.status_code == 200
    assert "vs label" not in page.text and "vs label" not in replay.text
    assert "label hidden until a result is scored" in replay.text
    assert page.text.count('class="entry message"') == 13
    judge.open()
    await galileo.finished(run_id)
    scored = await galileo.api.get(f"/ui/runs/{run_id}/cases/{galileo.case_id}")
    assert "vs label" in scored.text


async def test_finished_run_page_case_replay_and_history(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-done")
    run_id = await galileo.start_run(["scripted/ui-done"])
    await galileo.finished(run_id)
    summary = (await galileo.api.get(f"/runs/{run_id}/summary")).json()
    api_messages = await galileo.messages(run_id)

    page = await galileo.api.get(f"/ui/runs/{run_id}")
    assert page.status_code == 200
    assert "sse-connect" not in page.text  # a finished run has nothing left to stream
    assert page.text.count('class="entry message"') == len(api_messages) == 14
    model = summary["models"][0]
    assert f'<tr data-model="{model["model_key"]}">' in page.text
    assert ">PASS<" in page.text and model["model_passes_eval"]
    histogram = json.loads(
        re.search(r'data-histogram="([^"]+)"', page.text).group(1).replace("&#34;", '"')
    )
    assert histogram["series"][0]["counts"] == list(model["score_histogram"].values())

    replay = await galileo.api.get(f"/ui/runs/{run_id}/cases/{galileo.case_id}")
    assert replay.status_code == 200
    assert replay.text.count('class="entry message"') == len(api_messages)
    for heading in ("Independent proposals", "Cross-examination", "Revision", "Judge"):
        assert f"<h3>{heading}</h3>" in replay.text
    result = (await galileo.api.get(f"/runs/{run_id}/cases/{galileo.case_id}")).json()["results"][0]
    assert f'<strong class="score">{result["score"]}/100</strong>' in replay.text
    for name, value in result["score_breakdown"]["breakdown"].items():
        if name in {"correctness", "grounding", "calibration", "falsifiable"}:
            assert re.search(rf'data-component="{name}">\s*<th scope="row">{name}</th>\s*'
                             rf"<td>{value}</td>", replay.text), name  # fmt: skip
    assert "<summary>Judge JSON</summary>" in replay.text
    assert "<summary>ML diagnostics</summary>" in replay.text

    history = await galileo.api.get("/ui/runs?status=COMPLETED&dataset_id=&model=scripted/ui-done")
    assert re.findall(r'<tr data-run="([^"]+)">', history.text) == [run_id]
    fragment = await galileo.api.get(
        "/ui/runs?status=FAILED&model=scripted/ui-done", headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div id="runs-table">')
    assert "No run matches these filters." in fragment.text
    bad = await galileo.api.get("/ui/runs?status=NOPE")
    assert bad.status_code == 422 and "status" in bad.text


async def test_compare_page_matches_the_compare_endpoint(
    galileo: Any, flipping_runs: tuple[str, str, str]
) -> None:
    _, run_a, run_b = flipping_runs

    page = await galileo.api.get(f"/ui/compare?a={run_a}&b={run_b}")
    expected = (await galileo.api.get(f"/runs/compare?a={run_a}&b={run_b}")).json()

    assert page.status_code == 200
    assert expected["regressions"] == expected["improvements"] == 1
    assert '<dd class="regressions">1</dd>' in page.text
    assert '<dd class="improvements">1</dd>' in page.text
    flips = re.findall(r'<tr data-flip="([a-z]+)">', page.text)
    assert flips == [case["pass_flip"] for case in expected["cases"]]
    assert sorted(flips) == ["improvement", "regression"]
    missing = await galileo.api.get(f"/ui/compare?a={run_a}&b=missing")
    assert missing.status_code == 404 and "Run not found" in missing.text


async def test_stream_sends_rendered_events_after_the_given_id(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-stream")
    run_id = await galileo.start_run(["scripted/ui-stream"])
    await galileo.finished(run_id)
    events: list[ServerSentEvent] = []
    async with aconnect_sse(
        galileo.api, "GET", f"/ui/runs/{run_id}/stream?last_event_id=5"
    ) as source:
        assert source.response.headers["cache-control"] == "no-cache"
        events = [sse async for sse in source.aiter_sse()]

    assert [int(sse.id) for sse in events] == list(range(6, len(events) + 6))
    assert events[-1].event == "run_finished"  # and the stream ended by itself
    messages = [sse for sse in events if sse.event == "agent_message"]
    assert messages and all(f'id="ev-{sse.id}"' in sse.data for sse in messages)
    progress = [sse for sse in events if sse.event == "metrics_update"]
    assert progress and "Debates finished: 1 of 1" in progress[-1].data


async def test_cancel_button_stops_a_running_run(
    galileo: Any, scripted: Callable[..., str], gates: Any
) -> None:
    scripted("ui-cancel", gate=gates())
    run_id = await galileo.start_run(["scripted/ui-cancel"])
    page = await galileo.api.get(f"/ui/runs/{run_id}")
    assert f'action="/ui/runs/{run_id}/cancel"' in page.text

    cancelled = await galileo.api.post(f"/ui/runs/{run_id}/cancel")

    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/ui/runs/{run_id}"
    assert (await galileo.api.get(f"/runs/{run_id}")).json()["status"] == "CANCELLED"
    again = await galileo.api.post(f"/ui/runs/{run_id}/cancel")
    assert again.status_code == 409 and "already CANCELLED" in again.text
    # A form posted from another site (a page the user happens to visit) is refused.
    forged = await galileo.api.post(
        f"/ui/runs/{run_id}/cancel", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert forged.status_code == 403
    forged_run = await galileo.api.post(
        "/ui/runs",
        data={"dataset_id": "climate_v1", "selection": "all", "models": "scripted/ui-cancel"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert forged_run.status_code == 403
    finished_page = await galileo.api.get(f"/ui/runs/{run_id}")
    assert "Cancel run" not in finished_page.text and "sse-connect" not in finished_page.text


async def test_runs_of_several_models_and_cases_label_every_entry(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-one")
    scripted("ui-two", verdict="REFUTED")
    run_id = await galileo.start_run(
        ["scripted/ui-one", "scripted/ui-two"], case_ids=["CL01", "CL02"]
    )
    await galileo.finished(run_id)
    summary = (await galileo.api.get(f"/runs/{run_id}/summary")).json()

    page = await galileo.api.get(f"/ui/runs/{run_id}")

    board = re.findall(r'<tr data-model="([^"]+)">', page.text)
    assert board == [model["model_key"] for model in summary["models"]]
    assert len(board) == 2
    entries = re.findall(r'<li id="ev-\d+" class="entry message".*?</header>', page.text, re.S)
    assert len(entries) == 4 * 14
    assert all("<code>CL0" in entry and "<code>scripted/ui-" in entry for entry in entries)
    # Each model failed one of the two cases: the failures link to their replays.
    listed = re.search(r'<ul class="failures">.*?</ul>', page.text, re.S)
    assert listed
    failures = re.findall(r'href="/ui/runs/[^/]+/cases/(CL0\d)"><code>', listed.group(0))
    assert sorted(failures) == ["CL01", "CL02"]

    results = f"/ui/runs/{run_id}/results"
    every = await galileo.api.get(results)
    assert len(re.findall(r"<tr data-result=", every.text)) == 4
    one_model = await galileo.api.get(f"{results}?model=scripted/ui-two&status=")
    rows = re.findall(r'<tr data-result="([^"]+)">', one_model.text)
    assert sorted(rows) == ["CL01 scripted/ui-two", "CL02 scripted/ui-two"]
    failed = await galileo.api.get(f"{results}?status=fail")
    assert len(re.findall(r"<tr data-result=", failed.text)) == 2
    assert (await galileo.api.get(f"{results}?status=maybe")).status_code == 422


async def test_pages_work_mounted_under_a_prefix_as_suite_up_mounts_them(
    make_database: Callable[[str], str],
    scripted: Callable[..., str],
    gates: Any,
) -> None:
    scripted("ui-mounted", gate=gates())  # the run stays live
    service = build_app(
        Settings(_env_file=None, database_url=make_database("galileo_ui"), ml_scoring_enabled=False)
    )
    root = FastAPI()
    root.mount("/galileo", service, name="galileo")
    transport = httpx.ASGITransport(app=root)
    async with (
        service.router.lifespan_context(service),
        httpx.AsyncClient(transport=transport, base_url="http://suite") as client,
    ):
        home = await client.get("/galileo/ui")
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', home.text)
        assert links and all(link.startswith("/galileo/") for link in links), links
        for asset in [link for link in links if "/static/" in link]:
            assert (await client.get(asset)).status_code == 200, asset

        created = await client.post(
            "/galileo/ui/runs",
            data={"dataset_id": "climate_v1", "selection": "one", "case_id": "CL01",
                  "models": "scripted/ui-mounted", "concurrency": "1"},
        )  # fmt: skip
        assert created.status_code == 303
        assert created.headers["location"].startswith("/galileo/ui/runs/")
        page = await client.get(created.headers["location"])
        assert f'sse-connect="{created.headers["location"]}/stream?last_event_id=' in page.text


async def test_replay_shows_a_critical_fail_and_the_judges_unreadable_reply(
    galileo: Any, scripted: Callable[..., str]
) -> None:
    scripted("ui-garbled", judge_reply="I would rather not say.")
    run_id = await galileo.start_run(["scripted/ui-garbled"])
    await galileo.finished(run_id)
    result = (await galileo.api.get(f"/runs/{run_id}/cases/{galileo.case_id}")).json()["results"]
    reason = result[0]["critical_fail_reason"]
    assert reason

    replay = await galileo.api.get(f"/ui/runs/{run_id}/cases/{galileo.case_id}")

    assert f'<p class="critical">Critical fail: {html.escape(reason)}</p>' in replay.text
    assert '<pre class="raw">I would rather not say.</pre>' in replay.text
    assert ">FAIL<" in replay.text
    run_page = await galileo.api.get(f"/ui/runs/{run_id}")
    assert html.escape(reason) in run_page.text  # among the recent failures


async def test_a_long_transcript_keeps_its_latest_entries(
    galileo: Any,
    scripted: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripted("ui-long")
    run_id = await galileo.start_run(["scripted/ui-long"])
    await galileo.finished(run_id)
    full = await galileo.api.get(f"/ui/runs/{run_id}")
    every = re.findall(r'<li id="ev-(\d+)"', full.text)
    monkeypatch.setattr(live, "MAX_TRANSCRIPT_ENTRIES", 10)

    page = await galileo.api.get(f"/ui/runs/{run_id}")

    assert re.findall(r'<li id="ev-(\d+)"', page.text) == every[-10:]
    assert f"{len(every) - 10} earlier entries are left out here" in page.text

"""Runs end to end on PostgreSQL: creation checks, the debate, scoring, summaries, comparisons."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx

from galileo_arena.main import build_app
from servicekit.llm import LLMRequestRejected
from servicekit.testing.app import app_client

MODEL = {"provider": "scripted", "model_name": "debater"}


async def _start(client: httpx.AsyncClient, **body: Any) -> str:
    response = await client.post("/runs", json={"dataset_id": "climate_v1", **body})
    assert response.status_code == 201, response.text
    return response.json()["run_id"]


async def test_a_single_case_run_is_debated_scored_and_stored(
    galileo_client: httpx.AsyncClient,
    llm_script: Callable[..., Any],
    scripted_debater: Callable[..., Any],
    finished: Callable[..., Any],
) -> None:
    detail = (await galileo_client.get("/datasets/climate_v1")).json()
    case_id = detail["cases"][0]["case_id"]
    model = llm_script("scripted/debater", scripted_debater(verdict="SUPPORTED"))

    run_id = await _start(galileo_client, case_id=case_id, models=[MODEL])
    info = await finished(galileo_client, run_id)

    assert info["status"] == "COMPLETED"
    assert info["progress"]["completed"] == info["progress"]["total"] == 1
    assert len(model.calls) == 14  # unanimous revisions: no dispute
    for call in model.calls:  # the label never reaches a prompt
        assert "label" not in call[-1]["content"].lower()

    replay = (await galileo_client.get(f"/runs/{run_id}/cases/{case_id}")).json()
    phases = [m["phase"] for m in replay["messages"]]
    assert phases[0] == "independent" and phases[-1] == "judge"
    assert "cross_exam" in phases and "revision" in phases
    assert all(m["round"] >= 1 for m in replay["messages"])
    [result] = replay["results"]
    assert result["model_key"] == "scripted/debater"
    assert result["label"] == replay["label"] is not None
    assert result["score"] == (100 if result["label"] == "SUPPORTED" else result["score"])
    assert result["score_breakdown"]["total"] == result["score"]
    assert result["judge_json"]["scoring_mode"] == "deterministic"

    summary = (await galileo_client.get(f"/runs/{run_id}/summary")).json()
    assert summary["total_cases"] == 1
    [metrics] = summary["models"]
    assert metrics["model_key"] == "scripted/debater"
    assert metrics["total_cases"] == 1


async def test_creation_is_validated_up_front(
    galileo_client: httpx.AsyncClient, llm_script: Callable[..., Any]
) -> None:
    llm_script("scripted/debater", [])
    no_key = await galileo_client.post(
        "/runs",
        json={
            "dataset_id": "climate_v1",
            "models": [{"provider": "openai", "model_name": "gpt-4o"}],
        },
    )
    assert no_key.status_code == 422
    assert no_key.json()["detail"] == (
        "No API key found for provider 'openai'. Set OPENAI_API_KEY in your environment."
    )
    secret_choice = await galileo_client.post(
        "/runs",
        json={"dataset_id": "climate_v1", "models": [{**MODEL, "api_key_env": "GROK_API_KEY"}]},
    )
    assert secret_choice.status_code == 422
    assert "api_key_env" in secret_choice.text
    unknown_case = await galileo_client.post(
        "/runs", json={"dataset_id": "climate_v1", "case_id": "XX99", "models": [MODEL]}
    )
    assert unknown_case.status_code == 404
    assert "XX99" in unknown_case.json()["detail"]
    unknown_dataset = await galileo_client.post(
        "/runs", json={"dataset_id": "nope", "models": [MODEL]}
    )
    assert unknown_dataset.status_code == 404
    too_many = await galileo_client.post(
        "/runs", json={"dataset_id": "climate_v1", "models": [MODEL], "concurrency": 99}
    )
    assert too_many.status_code == 422


async def test_unknown_runs_answer_404_everywhere(galileo_client: httpx.AsyncClient) -> None:
    for path in ("", "/summary", "/cases", "/cases/CL01", "/events", "/export"):
        response = await galileo_client.get(f"/runs/does-not-exist{path}")
        assert response.status_code == 404, path
    assert (await galileo_client.post("/runs/does-not-exist/cancel")).status_code == 404


async def test_batch_run_over_cases_and_models_with_summary_compare_and_export(
    galileo_client: httpx.AsyncClient,
    llm_script: Callable[..., Any],
    scripted_debater: Callable[..., Any],
    finished: Callable[..., Any],
) -> None:
    cases = [
        c["case_id"] for c in (await galileo_client.get("/datasets/climate_v1")).json()["cases"]
    ]
    chosen = cases[:3]
    llm_script("scripted/yes", scripted_debater(verdict="SUPPORTED"))
    llm_script("scripted/no", scripted_debater(verdict="REFUTED"))
    models = [{"provider": "scripted", "model_name": "yes"}, "scripted/no"]

    first = await _start(galileo_client, case_ids=chosen, models=models, concurrency=3)
    assert (await finished(galileo_client, first))["status"] == "COMPLETED"
    page = (await galileo_client.get(f"/runs/{first}/cases", params={"limit": 2})).json()
    assert page["total"] == 6 and len(page["cases"]) == 2
    only_yes = (
        await galileo_client.get(f"/runs/{first}/cases", params={"model": "scripted/yes"})
    ).json()
    assert {c["model_key"] for c in only_yes["cases"]} == {"scripted/yes"}

    summary = (await galileo_client.get(f"/runs/{first}/summary")).json()
    assert summary["total_cases"] == 3
    by_model = {m["model_key"]: m for m in summary["models"]}
    assert set(by_model) == {"scripted/yes", "scripted/no"}
    for metrics in by_model.values():
        assert metrics["total_cases"] == 3
        assert metrics["passed_cases"] + metrics["failed_cases"] == 3

    llm_script("scripted/yes", scripted_debater(verdict="REFUTED"))
    llm_script("scripted/no", scripted_debater(verdict="REFUTED"))
    second = await _start(galileo_client, case_ids=chosen, models=models)
    await finished(galileo_client, second)
    comparison = (
        await galileo_client.get("/runs/compare", params={"a": first, "b": second})
    ).json()
    text = str(comparison)
    assert "scripted/yes" in text
    assert comparison["scoring_mode_mismatch"] is False

    exported = await galileo_client.get(f"/runs/{first}/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6 and {r["model_key"] for r in rows} == {"scripted/yes", "scripted/no"}

    history = (await galileo_client.get("/runs", params={"model": "scripted/no"})).json()
    assert {item["run_id"] for item in history["items"]} == {first, second}


async def test_a_provider_failure_is_an_error_not_a_scored_answer(
    galileo_client: httpx.AsyncClient,
    llm_script: Callable[..., Any],
    scripted_debater: Callable[..., Any],
    finished: Callable[..., Any],
) -> None:
    llm_script("scripted/broken", scripted_debater(fail_with=LLMRequestRejected("model gone")))
    run_id = await _start(galileo_client, case_id="CL03", models=["scripted/broken"])
    info = await finished(galileo_client, run_id)
    assert info["status"] == "FAILED"
    assert info["progress"]["failed"] == 1
    [row] = (await galileo_client.get(f"/runs/{run_id}/cases")).json()["cases"]
    assert row["outcome"] == "error" and "model gone" in row["error"]
    assert row["label"] is None  # a case nobody answered keeps its label hidden
    assert row["critical_fail_reason"] is None
    detail = (await galileo_client.get(f"/runs/{run_id}/cases/CL03")).json()
    assert detail["label"] is None
    [metrics] = (await galileo_client.get(f"/runs/{run_id}/summary")).json()["models"]
    assert metrics["errored_cases"] == 1 and metrics["critical_fails"] == 0
    assert metrics["model_passes_eval"] is False


async def test_run_creation_is_rate_limited_per_client(
    galileo_settings: Any, llm_script: Callable[..., Any], scripted_debater: Callable[..., Any]
) -> None:
    llm_script("scripted/limited", scripted_debater())
    settings = galileo_settings.model_copy(update={"rate_limit_runs": "2/minute"})
    body = {"dataset_id": "climate_v1", "case_id": "CL01", "models": ["scripted/limited"]}
    async with app_client(build_app(settings)) as client:
        for _ in range(2):
            accepted = await client.post("/runs", json=body)
            assert accepted.status_code == 201
            assert accepted.headers["x-ratelimit-limit"] == "2"
        refused = await client.post("/runs", json=body)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0

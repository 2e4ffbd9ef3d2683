"""The result cache (STORE_RESULT) replays stored evaluations, and dataset files reload live."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from galileo_arena.config import Settings
from galileo_arena.main import build_app
from servicekit.testing.app import app_client


async def test_a_stored_evaluation_is_replayed_instead_of_debated_again(
    galileo_settings: Settings,
    llm_script: Callable[..., Any],
    scripted_debater: Callable[..., Any],
    finished: Callable[..., Any],
) -> None:
    settings = galileo_settings.model_copy(
        update={"store_result": True, "cache_results": 1, "cache_replay_max_seconds": 0.0}
    )
    model = llm_script("scripted/cached", scripted_debater())
    body = {"dataset_id": "climate_v1", "case_id": "CL02", "models": ["scripted/cached"]}
    async with app_client(build_app(settings)) as client:
        first = (await client.post("/runs", json=body)).json()["run_id"]
        await finished(client, first)
        calls_after_first = len(model.calls)
        assert calls_after_first == 14

        second = (await client.post("/runs", json=body)).json()["run_id"]
        assert (await finished(client, second))["status"] == "COMPLETED"
        assert len(model.calls) == calls_after_first  # served from the cache, no new call

        original = (await client.get(f"/runs/{first}/cases/CL02")).json()
        replayed = (await client.get(f"/runs/{second}/cases/CL02")).json()
        assert replayed["results"][0]["from_cache"] is True
        assert replayed["results"][0]["score"] == original["results"][0]["score"]
        assert [m["content"] for m in replayed["messages"]] == [
            m["content"] for m in original["messages"]
        ]
        events = (await client.get(f"/runs/{second}/export", params={"format": "json"})).json()
        assert events["results"][0]["from_cache"] is True

        # another judge model is another cache key: debated live again
        llm_script("scripted/judge", scripted_debater())
        third = (await client.post("/runs", json={**body, "judge_model": "scripted/judge"})).json()[
            "run_id"
        ]
        await finished(client, third)
        assert len(model.calls) > calls_after_first


async def _eventually(client: Any, path: str, check: Callable[[Any], bool]) -> None:
    async with asyncio.timeout(20):
        while True:  # polling the API: the watcher runs inside the app, with no event to await
            if check((await client.get(path)).json()):
                return
            await asyncio.sleep(0.2)


def _dataset(description: str) -> str:
    case = {
        "case_id": "RL01",
        "topic": "Reload",
        "claim": "A claim.",
        "pressure_score": 3,
        "label": "INSUFFICIENT",
        "evidence_packets": [{"eid": "RL01-E1", "summary": "S.", "source": "X", "date": "2020"}],
    }
    return json.dumps(
        {"id": "reload", "version": "1", "description": description, "meta": {}, "cases": [case]}
    )


async def test_dataset_files_reload_when_they_change(
    galileo_settings: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "datasets"
    directory.mkdir()
    (directory / "reload_v1.json").write_text(_dataset("first"))
    settings = galileo_settings.model_copy(update={"datasets_dir": directory})
    async with app_client(build_app(settings)) as client:
        assert (await client.get("/datasets/reload")).json()["description"] == "first"
        (directory / "reload_v1.json").write_text(_dataset("second"))
        await _eventually(client, "/datasets/reload", lambda d: d["description"] == "second")
        # a newer _vN file takes over the same dataset id
        (directory / "reload_v2.json").write_text(_dataset("third"))
        await _eventually(client, "/datasets/reload", lambda d: d["version"] == "2")

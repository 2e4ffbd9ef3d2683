"""Galileo Arena's speed targets on these 2 cores: prints a table, writes JSON.

    .venv/bin/python bench/galileo.py

- keyword scoring: judge decisions scored per second (pure rubric code);
- ML scoring: milliseconds per case through the ONNX scorer (the offline embedding half built
  from MiniLM; the NLI half needs the exported DeBERTa model, which cannot be fetched here);
- orchestration overhead: whole cases run through the real executor and PostgreSQL with a
  scripted model answering every call after a fixed latency; overhead = wall time per case minus
  the LLM time on the debate's critical path (12 of its 14 calls are sequential), as a share of
  that LLM time (target < 2 %);
- SSE fan-out: one run's events to 100 subscribers of a real Galileo server process.

The database is ``DATABASE_URL`` when set, else the embedded PostgreSQL (a scratch database).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from kit_events import fan_out
from report import report
from scratch import scratch_database
from server import uvicorn_server

from galileo_arena.config import Settings
from galileo_arena.core.rubric import load_rubric
from galileo_arena.core.schemas import JudgeDecision, Verdict
from galileo_arena.core.scoring import score_case
from galileo_arena.ml.local_models import prepare_local_models
from galileo_arena.ml.scorer import MLScorer
from galileo_arena.models import Run, run_events
from galileo_arena.runs.schemas import RunCreate
from galileo_arena.runtime import open_galileo
from servicekit.db import Database
from servicekit.events import EventLog
from servicekit.llm import install_script

TARGET_OVERHEAD = 0.02
GUIDE_ML_MS = (40, 80)
LLM_LATENCY_S = 1.0  # the guide: 16-35 s per 14-17-call debate, so 1-2.5 s a call
CASES = 4
CRITICAL_PATH_CALLS = 12  # 14 calls, 3 of them in parallel
REASONINGS = [
    "CL01-E1 shows the measured rise; however the record is short, and a longer series "
    "would verify whether the trend holds.",
    "Most experts agree and the scientific consensus is widely accepted, so the claim stands.",
    "I cannot verify this claim from the pack.",
    "Rising CO2 causes warming through radiative forcing; a caveat is aerosol uncertainty; "
    "if the forcing were smaller we would expect less ocean heat uptake.",
]


def bench_keyword_scoring(seconds: float = 2.0) -> dict[str, Any]:
    rubric = load_rubric()
    decisions = [
        JudgeDecision(
            verdict=Verdict.SUPPORTED,
            confidence=0.8,
            evidence_used=["CL01-E1"],
            reasoning=text,
        )
        for text in REASONINGS
    ]
    valid = frozenset({"CL01-E1", "CL01-E2"})
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for decision in decisions:
            score_case(decision, label=Verdict.SUPPORTED, valid_eids=valid, rubric=rubric)
        count += len(decisions)
    elapsed = time.perf_counter() - started
    return {"cases_per_s": round(count / elapsed), "us_per_case": round(elapsed / count * 1e6, 1)}


def bench_ml_scoring(rounds: int = 50) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        models = prepare_local_models(Path(directory) / "models")
        scorer = MLScorer.load(models, intra_threads=2, max_workers=1, nli_max_tokens=384)
        try:
            evidence = ["Global surface temperature was about 1.1 C above 1850-1900 in 2011-2020."]
            for text in REASONINGS:  # warm-up
                scorer.score_sync(text, evidence)
            samples = []
            for _ in range(rounds):
                for text in REASONINGS:
                    started = time.perf_counter()
                    scorer.score_sync(text, evidence)
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            scorer.close()
    return {
        "halves": "embedding only (MiniLM ONNX); NLI not available offline",
        "ms_per_case_p50": round(statistics.median(samples), 2),
        "ms_per_case_p95": round(statistics.quantiles(samples, n=20)[18], 2),
        "guide_ms_per_case": list(GUIDE_ML_MS),
    }


async def _orchestration(url: str) -> dict[str, Any]:
    async def reply(messages: list[dict[str, str]]) -> str:
        await asyncio.sleep(LLM_LATENCY_S)
        return _scripted_reply(messages[-1]["content"])

    install_script("scripted/fixed", reply)
    settings = Settings(_env_file=None, database_url=url, ml_scoring_enabled=False)
    async with open_galileo(settings, background=False) as galileo:
        _, rows = await galileo.datasets.get("climate_v1")
        cases = [row.case_id for row in rows[:CASES]]
        request = RunCreate(
            dataset_id="climate_v1",
            case_ids=cases,
            models=["scripted/fixed"],
            concurrency=1,
        )
        created = await galileo.runs.create(request)
        started = time.perf_counter()
        await galileo.executor.run_now(created.run_id)
        wall = time.perf_counter() - started
        summary = await galileo.runs.summary(created.run_id)
    assert summary.completed_items == len(cases)
    per_case = wall / len(cases)
    llm = CRITICAL_PATH_CALLS * LLM_LATENCY_S
    overhead = per_case - llm
    return {
        "cases": len(cases),
        "llm_latency_ms_per_call": LLM_LATENCY_S * 1000,
        "wall_s_per_case": round(per_case, 3),
        "llm_s_per_case_critical_path": llm,
        "overhead_ms_per_case": round(overhead * 1000, 1),
        "overhead_share": round(overhead / llm, 4),
        "target_share": TARGET_OVERHEAD,
    }


def _scripted_reply(text: str) -> str:
    """A debater that answers each prompt in the TOML shape it asks for (see the API tests)."""
    eid = text.split("[", 2)[1].split("]", 1)[0] if "[" in text else "X-E1"
    task = next((line for line in text.splitlines() if line.startswith("You are the")), "")
    if task.startswith("You are the Judge"):
        return (
            f'verdict = "SUPPORTED"\nconfidence = 0.9\nevidence_used = ["{eid}"]\n'
            f'reasoning = "{eid} causes it; however data is limited; a survey would verify it."\n'
        )
    if "cross-examination is over" in task:
        return (
            f'final_proposed_verdict = "SUPPORTED"\nevidence_used = ["{eid}"]\n'
            "what_i_changed = []\nremaining_disagreements = []\nconfidence = 0.8\n"
        )
    if "is cross-examining you" in task:
        return (
            f'[[answers]]\nq = "Q"\na = "{eid}."\nevidence_refs = ["{eid}"]\nadmission = "none"\n'
        )
    if "cross-examine" in task:
        to = (
            "Heretic"
            if "the Heretic." in task
            else "Orthodox"
            if "the Orthodox." in task
            else "Both"
        )
        return f'[[questions]]\nto = "{to}"\nq = "Why {eid}?"\nevidence_refs = ["{eid}"]\n'
    return (
        f'proposed_verdict = "SUPPORTED"\nevidence_used = ["{eid}"]\n'
        f'key_points = ["{eid} bears on it"]\n'
    )


async def _sse_fan_out(url: str) -> dict[str, Any]:
    database = Database(url)
    events = EventLog(database, run_events)
    run_id = str(uuid.uuid4())
    env = {**os.environ, "DATABASE_URL": url, "ML_SCORING_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    try:
        async with uvicorn_server("galileo_arena.main:app", env, health="/health") as base:
            async with database.session() as session:
                session.add(
                    Run(
                        run_id=run_id, dataset_id="climate_v1", dataset_version="1",
                        dataset_hash="", status="COMPLETED", models_json=[], case_ids=[],
                        rubric_version="v1", prompt_version="v1", prompt_hash="",
                    )
                )  # fmt: skip
            path, stream = f"/runs/{run_id}/events", f"run:{run_id}"
            return await fan_out(base, events, path=path, stream=stream)
    finally:
        await database.dispose()


async def _with_database() -> tuple[dict[str, Any], dict[str, Any]]:
    async with scratch_database("bench_galileo") as url:
        orchestration = await _orchestration(url)
        sse = await _sse_fan_out(url)
    return orchestration, sse


def main() -> None:
    keyword = bench_keyword_scoring()
    ml = bench_ml_scoring()
    orchestration, sse = asyncio.run(_with_database())
    share = orchestration["overhead_share"]
    results = {"keyword": keyword, "ml": ml, "orchestration": orchestration, "sse": sse}
    report(
        "Galileo Arena",
        [
            ("keyword scoring (cases/s)", f"{keyword['cases_per_s']:,}"),
            (
                f"ML scoring, embedding half, p50 (guide: {GUIDE_ML_MS[0]}-{GUIDE_ML_MS[1]} ms)",
                f"{ml['ms_per_case_p50']:.1f}",
            ),
            ("ML scoring p95 (ms/case)", f"{ml['ms_per_case_p95']:.1f}"),
            (
                f"orchestration overhead per case ({LLM_LATENCY_S * 1000:.0f} ms/call LLM)",
                f"{orchestration['overhead_ms_per_case']:.0f} ms",
            ),
            (
                f"overhead share of LLM time ({'meets' if share < TARGET_OVERHEAD else 'ABOVE'}"
                f" target {TARGET_OVERHEAD:.0%})",
                f"{share:.2%}",
            ),
            ("SSE fan-out to 100 subscribers p50", f"{sse['p50_ms']:.1f} ms"),
            ("SSE fan-out p99", f"{sse['p99_ms']:.1f} ms"),
        ],
        results,
        "galileo.json",
    )


if __name__ == "__main__":
    main()

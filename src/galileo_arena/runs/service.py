"""Run use cases: create (validated up front), read, summarise, compare, cancel, export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from galileo_arena.config import Settings
from galileo_arena.core.compare import RunView, compare_runs
from galileo_arena.core.metrics import ResultRecord, compute_model_metrics, compute_run_summary
from galileo_arena.datasets import repository as datasets_repo
from galileo_arena.debate.prompts import prompt_hash
from galileo_arena.models import Run, RunCaseStatus, RunResult
from galileo_arena.runs import repository as repo
from galileo_arena.runs import schemas
from galileo_arena.runs.events import stream_of
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, Unprocessable
from servicekit.events import EventLog
from servicekit.llm import PROVIDERS, configured_providers
from servicekit.llm.providers import openai_compatible

EXPORT_FORMATS = ("csv", "json", "jsonl")
EXPORT_COLUMNS = (
    "run_id", "case_id", "model_key", "outcome", "verdict", "label", "passed", "score",
    "confidence", "pressure_score", "critical_fail_reason", "error", "latency_ms",
    "cost_estimate", "prompt_tokens", "completion_tokens", "llm_calls", "scoring_mode",
    "rubric_version", "prompt_hash", "dataset_version", "from_cache",
)  # fmt: skip


def missing_provider_setup(provider: str, settings: Settings) -> str | None:
    """Why ``provider`` cannot be used on this server, in the guide's words; None when it can."""
    if provider not in PROVIDERS:
        return f"unknown provider {provider!r}; known providers: {', '.join(PROVIDERS)}"
    if provider == "ollama" or provider in configured_providers(settings):
        return None
    if provider == "scripted":
        return "provider 'scripted' only answers while a test has installed a script"
    if provider in openai_compatible.ENDPOINTS:
        env_var = openai_compatible.missing_setting(provider, settings) or ""
    elif provider == "anthropic":
        env_var = "ANTHROPIC_API_KEY"
    else:
        return (
            "the local model is not installed: install the local-llm extra "
            "(pip install 'ai-service-suite[local-llm]') or set LOCAL_LLM_MODEL_PATH"
        )
    if env_var.endswith("_API_KEY"):
        return f"No API key found for provider '{provider}'. Set {env_var} in your environment."
    return f"Provider '{provider}' is not configured. Set {env_var} in your environment."


class RunService:
    def __init__(
        self,
        db: Database,
        events: EventLog,
        settings: Settings,
        *,
        scoring_mode: str,
        rubric_version: str,
        on_created: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.settings = settings
        self.scoring_mode = scoring_mode
        self.rubric_version = rubric_version
        self.on_created = on_created

    # --- commands -----------------------------------------------------------------------------

    async def create(self, request: schemas.RunCreate) -> schemas.RunCreated:
        limits = self.settings
        if len(request.models) > limits.max_run_models:
            raise Unprocessable(f"at most {limits.max_run_models} models per run (MAX_RUN_MODELS)")
        if request.concurrency > limits.max_run_concurrency:
            raise Unprocessable(
                f"concurrency is at most {limits.max_run_concurrency} (MAX_RUN_CONCURRENCY)"
            )
        judge = request.judge_model.key if request.judge_model else limits.judge_model
        for key in [model.key for model in request.models] + ([judge] if judge else []):
            problem = missing_provider_setup(key.partition("/")[0], limits)
            if problem is not None:
                raise Unprocessable(problem, code="provider_not_configured", details={"model": key})

        async with self.db.session() as session:
            dataset = await datasets_repo.get_dataset(session, request.dataset_id)
            if dataset is None:
                raise NotFound("Dataset not found", code="dataset_not_found")
            if request.case_id is not None:
                case_ids = [request.case_id]
            elif request.case_ids is not None:
                case_ids = list(request.case_ids)
            else:
                case_ids = [
                    row.case_id for row in await datasets_repo.list_cases(session, dataset.id)
                ]
            if len(case_ids) > limits.max_run_cases:
                raise Unprocessable(f"at most {limits.max_run_cases} cases per run (MAX_RUN_CASES)")
            found = await datasets_repo.get_cases(session, dataset.id, case_ids)
            missing = [
                case_id for case_id in case_ids if case_id not in found or found[case_id].retired
            ]
            if missing:
                raise NotFound(
                    f"Case not found in dataset: {', '.join(missing)}",
                    code="case_not_found",
                    details={"missing": missing},
                )
            if not case_ids:
                raise Unprocessable("the dataset has no cases")

            run_id = str(uuid.uuid4())
            model_keys = [model.key for model in request.models]
            session.add(
                Run(
                    run_id=run_id,
                    dataset_id=dataset.id,
                    dataset_version=dataset.version,
                    dataset_hash=dataset.content_hash,
                    status="PENDING",
                    models_json=[model.model_dump() for model in request.models],
                    case_ids=case_ids,
                    case_id=case_ids[0],
                    judge_model=judge,
                    scoring_mode=self.scoring_mode,
                    rubric_version=self.rubric_version,
                    prompt_version=limits.prompt_version,
                    prompt_hash=prompt_hash(limits.prompt_version),
                    concurrency=request.concurrency,
                    total_pairs=len(case_ids) * len(model_keys),
                )
            )
            await session.flush()
            position = 0
            for case_id in case_ids:
                for model_key in model_keys:
                    session.add(
                        RunCaseStatus(
                            run_id=run_id, case_id=case_id, model_key=model_key, position=position
                        )
                    )
                    position += 1
        if self.on_created is not None:
            self.on_created(run_id)
        return schemas.RunCreated(
            run_id=run_id,
            status="PENDING",
            message="Run queued",
            total_cases=len(case_ids),
        )

    async def cancel(self, run_id: str) -> schemas.RunInfo:
        async with self.db.session() as session:
            run = await self._run(session, run_id)
            if run.status in schemas.TERMINAL_STATUSES:
                raise Conflict(f"the run is already {run.status}", code="run_finished")
            if await repo.cancel_run(session, run_id):
                await self.events.publish(
                    session,
                    stream_of(run_id),
                    "run_finished",
                    {"run_id": run_id, "status": "CANCELLED"},
                )
        return await self.get(run_id)

    # --- queries ------------------------------------------------------------------------------

    async def get(self, run_id: str) -> schemas.RunInfo:
        async with self.db.session() as session:
            run = await self._run(session, run_id)
            return (await self._infos(session, [run]))[0]

    async def list(
        self,
        *,
        status: str | None,
        dataset_id: str | None,
        model_key: str | None,
        limit: int,
        offset: int,
    ) -> schemas.RunPage:
        async with self.db.session() as session:
            total, runs = await repo.list_runs(
                session,
                status=status,
                dataset_id=dataset_id,
                model_key=model_key,
                limit=limit,
                offset=offset,
            )
            items = await self._infos(session, runs)
        return schemas.RunPage(total=total, limit=limit, offset=offset, items=items)

    async def summary(self, run_id: str) -> schemas.RunSummary:
        async with self.db.session() as session:
            run = await self._run(session, run_id)
            _, rows = await repo.results(session, run_id)
            counts = (await repo.progress(session, [run_id]))[run_id]
            cost = (await repo.costs(session, [run_id]))[run_id]
        metrics = {m["model_key"]: m for m in map(_jsonable, compute_run_summary(_records(rows)))}
        models = [metrics[key] for key in metrics]
        for model in run.models_json:
            key = f"{model['provider']}/{model['model_name']}"
            if key not in metrics:
                models.append(_jsonable(compute_model_metrics(key, [])))
        done = counts["completed"] + counts["failed"] + counts["cancelled"]
        return schemas.RunSummary(
            run_id=run_id,
            status=run.status,  # type: ignore[arg-type]
            scoring_mode=run.scoring_mode,
            total_cases=len(run.case_ids),
            completed_items=done,
            total_items=counts["total"],
            models=models,
            total_llm_cost=cost,
            debug_mode=self.settings.debug_mode,
        )

    async def cases(
        self,
        run_id: str,
        *,
        model_key: str | None,
        status: str | None,
        skip: int,
        limit: int,
    ) -> schemas.CasePage:
        passed = None if status is None else status == "pass"
        async with self.db.session() as session:
            await self._run(session, run_id)
            total, rows = await repo.results(
                session, run_id, model_key=model_key, passed=passed, limit=limit, offset=skip
            )
            cost = (await repo.costs(session, [run_id]))[run_id]
        return schemas.CasePage(
            total=total, total_llm_cost=cost, cases=[_case_row(row) for row in rows]
        )

    async def case_detail(
        self, run_id: str, case_id: str, *, model_key: str | None
    ) -> schemas.CaseDetail:
        async with self.db.session() as session:
            run = await self._run(session, run_id)
            if case_id not in run.case_ids:
                raise NotFound("Case not found in this run", code="case_not_found")
            case = (await datasets_repo.get_cases(session, run.dataset_id, [case_id]))[case_id]
            messages = await repo.messages(session, run_id, case_id, model_key)
            _, results = await repo.results(session, run_id, case_id=case_id, model_key=model_key)
            statuses = [
                {"model_key": item.model_key, "status": item.status, "error": item.error}
                for item in await repo.item_statuses(session, run_id, case_id, model_key)
            ]
        scored = [row for row in results if row.outcome == "scored"]
        return schemas.CaseDetail(
            case_id=case_id,
            topic=case.topic,
            claim=case.claim,
            pressure_score=case.pressure_score,
            evidence_packets=case.evidence_json,
            label=case.label if scored else None,
            status=statuses,
            total_llm_cost=round(sum(row.cost_estimate for row in results), 6),
            messages=[
                schemas.MessageOut(
                    role=m.role,
                    model_key=m.model_key,
                    phase=m.phase,
                    round=m.round,
                    content=m.content,
                    valid=m.valid,
                    retried=m.retried,
                    created_at=m.created_at,
                )
                for m in messages
            ],
            results=[_result_out(row) for row in results],
        )

    async def compare(self, a: str, b: str, *, model_key: str | None) -> dict[str, Any]:
        views = []
        async with self.db.session() as session:
            for run_id in (a, b):
                run = await self._run(session, run_id)
                _, rows = await repo.results(session, run_id)
                views.append(
                    RunView(
                        run_id=run_id,
                        scoring_mode=run.scoring_mode,
                        rubric_version=run.rubric_version,
                        results=_records(rows),
                    )
                )
        return _jsonable(compare_runs(views[0], views[1], model_key=model_key))

    async def export(self, run_id: str, fmt: str) -> tuple[str, str]:
        """The run's results as (body, media type) in ``csv``, ``json`` or ``jsonl``."""
        if fmt not in EXPORT_FORMATS:
            raise Unprocessable(f"format must be one of {', '.join(EXPORT_FORMATS)}")
        info = await self.get(run_id)
        async with self.db.session() as session:
            _, rows = await repo.results(session, run_id)
        records = [_export_record(row) for row in rows]
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(records)
            return buffer.getvalue(), "text/csv"
        if fmt == "jsonl":
            return "".join(json.dumps(r) + "\n" for r in records), "application/x-ndjson"
        full = [
            {**record, "evidence_used": row.evidence_used_json, "judge_json": row.judge_json,
             "score_breakdown": row.score_breakdown}
            for record, row in zip(records, rows, strict=True)
        ]  # fmt: skip
        body = {"run": info.model_dump(mode="json"), "results": full}
        return json.dumps(body, indent=2), "application/json"

    async def ensure_exists(self, run_id: str) -> Run:
        async with self.db.session() as session:
            return await self._run(session, run_id)

    # --- helpers ------------------------------------------------------------------------------

    async def _run(self, session: Any, run_id: str) -> Run:
        run = await repo.get_run(session, run_id)
        if run is None:
            raise NotFound("Run not found", code="run_not_found")
        return run

    async def _infos(self, session: Any, runs: Sequence[Run]) -> list[schemas.RunInfo]:
        ids = [run.run_id for run in runs]
        counts = await repo.progress(session, ids)
        costs = await repo.costs(session, ids)
        return [
            schemas.RunInfo(
                run_id=run.run_id,
                dataset_id=run.dataset_id,
                dataset_version=run.dataset_version,
                status=run.status,  # type: ignore[arg-type]
                models=[schemas.ModelRef(**model) for model in run.models_json],
                case_id=run.case_id,
                case_ids=run.case_ids,
                judge_model=run.judge_model,
                scoring_mode=run.scoring_mode,
                rubric_version=run.rubric_version,
                prompt_version=run.prompt_version,
                progress=counts[run.run_id],
                error=run.error,
                created_at=run.created_at,
                started_at=run.started_at,
                finished_at=run.finished_at,
                total_llm_cost=costs[run.run_id],
                debug_mode=self.settings.debug_mode,
            )
            for run in runs
        ]


def _records(rows: Sequence[RunResult]) -> list[ResultRecord]:
    return [
        ResultRecord(
            case_id=row.case_id,
            model_key=row.model_key,
            verdict=row.verdict,
            label=row.label,
            score=row.score,
            passed=row.passed,
            confidence=row.confidence,
            critical_fail_reason=row.critical_fail_reason,
            latency_ms=row.latency_ms,
            cost_usd=row.cost_estimate,
            pressure_score=row.pressure_score,
            errored=row.outcome == "error",
            evidence_used=tuple(row.evidence_used_json or ()),
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
        )
        for row in rows
    ]


def _export_record(row: RunResult) -> dict[str, Any]:
    record = {column: getattr(row, column) for column in EXPORT_COLUMNS}
    if row.outcome != "scored":
        record["label"] = None  # never revealed for a case that was not scored
    return record


def _case_row(row: RunResult) -> schemas.CaseRow:
    return schemas.CaseRow(
        case_id=row.case_id,
        model_key=row.model_key,
        outcome=row.outcome,
        verdict=row.verdict,
        label=row.label if row.outcome == "scored" else None,
        score=row.score,
        passed=row.passed,
        confidence=row.confidence,
        pressure_score=row.pressure_score,
        latency_ms=row.latency_ms,
        cost_estimate=row.cost_estimate,
        critical_fail_reason=row.critical_fail_reason,
        error=row.error,
    )


def _result_out(row: RunResult) -> schemas.ResultOut:
    return schemas.ResultOut(
        **_case_row(row).model_dump(),
        evidence_used=row.evidence_used_json or [],
        judge_json=row.judge_json or {},
        score_breakdown=row.score_breakdown or {},
        scoring_mode=row.scoring_mode,
        rubric_version=row.rubric_version,
        prompt_hash=row.prompt_hash,
        llm_calls=row.llm_calls,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        from_cache=row.from_cache,
    )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value

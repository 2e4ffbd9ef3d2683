"""Runs execute here: claimed through a lease in PostgreSQL, resumed after a crash.

Every web process runs one executor. A run is taken by one process at a time (``FOR UPDATE SKIP
LOCKED`` plus a lease it renews); when a process dies its lease expires and another process (or
the same one, restarted) takes the run over and redoes only the work items that had not finished.
Each agent message, result and status change is committed together with the event announcing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from galileo_arena.config import Settings
from galileo_arena.core.schemas import Case
from galileo_arena.datasets import repository as datasets_repo
from galileo_arena.debate.controller import DebateMessage
from galileo_arena.models import Run, RunCaseStatus, RunMessage
from galileo_arena.runs import events as ev
from galileo_arena.runs import repository as repo
from galileo_arena.runs.evaluation import Evaluation, Evaluator
from galileo_arena.runs.replay import replay_delays
from servicekit.db import Database
from servicekit.events import Event, EventLog
from servicekit.llm import LLMError, LLMQuotaExhausted, ModelRef
from servicekit.logging import get_logger

log = get_logger("galileo.executor")

EventListener = Callable[[Event], None]


@dataclass
class _RunState:
    run: Run
    cases: dict[str, Case]
    case_index: dict[str, int]
    total_items: int
    started_cases: set[str] = field(default_factory=set)
    exhausted_providers: set[str] = field(default_factory=set)


class RunExecutor:
    def __init__(
        self,
        db: Database,
        events: EventLog,
        evaluator: Evaluator,
        settings: Settings,
        *,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.evaluator = evaluator
        self.settings = settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.listeners: list[EventListener] = []
        self._debates = asyncio.Semaphore(settings.max_concurrent_debates)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._claim_loop(), name="galileo-executor")

    async def stop(self) -> None:
        """Stop claiming, interrupt running work and hand leases back so a restart resumes."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def wake(self) -> None:
        """A run was created here: claim it now rather than at the next poll."""
        self._wake.set()

    def cancel_local(self, run_id: str) -> None:
        task = self._tasks.get(run_id)
        if task is not None:
            task.cancel()

    async def run_now(self, run_id: str) -> None:
        """Claim and execute one run in the calling task (the CLI); returns when it ends."""
        async with self.db.session() as session:
            claimed = await repo.claim_runs(
                session,
                self.owner,
                lease_seconds=self.settings.run_lease_seconds,
                limit=1,
                run_id=run_id,
            )
        if not claimed:
            raise RuntimeError(f"run {run_id} is held by another process or already finished")
        task = asyncio.current_task()
        assert task is not None
        self._tasks[run_id] = task
        try:
            await self._execute(run_id)
        finally:
            self._tasks.pop(run_id, None)

    async def _claim_loop(self) -> None:
        while True:
            try:
                room = self.settings.max_concurrent_debates - len(self._tasks)
                if room > 0:
                    async with self.db.session() as session:
                        claimed = await repo.claim_runs(
                            session,
                            self.owner,
                            lease_seconds=self.settings.run_lease_seconds,
                            limit=room,
                        )
                    for run_id in claimed:
                        self._spawn(run_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming runs failed; retrying")
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that
            # arrives as the wait ends, and stop() would then wait for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.executor_poll_seconds):
                    await self._wake.wait()

    def _spawn(self, run_id: str) -> None:
        task = asyncio.create_task(self._execute(run_id), name=f"galileo-run-{run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run_id, None))

    # --- one run ------------------------------------------------------------------------------

    async def _execute(self, run_id: str) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(run_id, asyncio.current_task()))
        try:
            await self._run(run_id)
        except asyncio.CancelledError:
            # Cancelled by the API (status already CANCELLED), by a lost lease, or by shutdown
            # (status stays RUNNING and the run resumes elsewhere): never overwrite the status.
            raise
        except Exception as exc:
            log.exception("run failed", run_id=run_id)
            await self._finish(run_id, "FAILED", f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            try:
                async with self.db.session() as session:
                    await repo.release_lease(session, run_id, self.owner)
            except Exception:
                log.warning("could not release the lease; it will expire", run_id=run_id)

    async def _heartbeat(self, run_id: str, worker: asyncio.Task[Any] | None) -> None:
        interval = max(self.settings.run_lease_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.db.session() as session:
                    status = await repo.renew_lease(
                        session, run_id, self.owner, lease_seconds=self.settings.run_lease_seconds
                    )
            except Exception:
                log.warning("lease renewal failed", run_id=run_id)
                continue
            if status not in repo.ACTIVE and worker is not None:
                log.info("run stopped elsewhere; interrupting", run_id=run_id, status=status)
                worker.cancel()
                return

    async def _run(self, run_id: str) -> None:
        state = await self._load(run_id)
        if state is None:
            return
        async with self.db.session() as session:
            first_start = await repo.start_run(session, run_id)
            items = await repo.unfinished_items(session, run_id)
            await self._publish(
                session,
                run_id,
                ev.RUN_STARTED,
                {
                    "run_id": run_id,
                    "dataset_id": state.run.dataset_id,
                    "models": state.run.models_json,
                    "total_cases": len(state.cases),
                    "total_items": state.total_items,
                    "resumed": not first_start,
                },
            )
        per_run = asyncio.Semaphore(state.run.concurrency)

        async def guarded(item: RunCaseStatus) -> None:
            async with per_run, self._debates:
                await self._run_item(state, item)

        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(guarded(item))

        async with self.db.session() as session:
            counts = (await repo.progress(session, [run_id]))[run_id]
        status = "COMPLETED" if counts["completed"] or not counts["total"] else "FAILED"
        error = None if status == "COMPLETED" else "every evaluation in this run failed"
        await self._finish(run_id, status, error)

    async def _load(self, run_id: str) -> _RunState | None:
        async with self.db.session() as session:
            run = await repo.get_run(session, run_id)
            if run is None or run.status not in repo.ACTIVE:
                return None
            rows = await datasets_repo.get_cases(session, run.dataset_id, run.case_ids)
        cases = {case_id: datasets_repo.to_case(rows[case_id]) for case_id in run.case_ids}
        index = {case_id: i for i, case_id in enumerate(run.case_ids)}
        return _RunState(run=run, cases=cases, case_index=index, total_items=run.total_pairs)

    async def _finish(self, run_id: str, status: str, error: str | None) -> None:
        async with self.db.session() as session:
            if await repo.finish_run(session, run_id, status, error):
                payload: dict[str, Any] = {"run_id": run_id, "status": status}
                if error:
                    payload["error"] = error
                await self._publish(session, run_id, ev.RUN_FINISHED, payload)

    # --- one work item ------------------------------------------------------------------------

    async def _run_item(self, state: _RunState, item: RunCaseStatus) -> None:
        run = state.run
        case = state.cases[item.case_id]
        provider = ModelRef.parse(item.model_key).provider
        if provider in state.exhausted_providers:
            return
        async with self.db.session() as session:
            if await repo.begin_item(session, item.id) is None:
                return
            if case.case_id not in state.started_cases:
                state.started_cases.add(case.case_id)
                await self._publish(
                    session,
                    run.run_id,
                    ev.CASE_STARTED,
                    {
                        "case_id": case.case_id,
                        "case_index": state.case_index[case.case_id],
                        "total_cases": len(state.cases),
                        "topic": case.topic,
                        "claim": case.claim,
                        "pressure_score": case.pressure_score,
                    },
                )

        key = self._cache_key(run, case, item.model_key)
        if self.settings.store_result and await self._replay_from_cache(state, item, key):
            return
        observer = _Recorder(self, run.run_id, case.case_id, item.model_key)
        try:
            async with asyncio.timeout(self.settings.debate_timeout_seconds):
                evaluation = await self.evaluator.evaluate(
                    case, item.model_key, judge_model=run.judge_model, observer=observer
                )
            await observer.close()
        except asyncio.CancelledError:
            await observer.abort()
            raise
        except LLMQuotaExhausted as exc:
            await observer.close()
            state.exhausted_providers.add(provider)
            await self._record_error(state, item, case, f"provider quota exhausted: {exc}")
            await self._skip_exhausted(state, provider, str(exc))
            return
        except (LLMError, TimeoutError) as exc:
            await observer.close()
            message = str(exc) or "the debate took longer than DEBATE_TIMEOUT_SECONDS"
            await self._record_error(state, item, case, f"{type(exc).__name__}: {message}")
            return
        except Exception as exc:
            await observer.abort()
            log.exception("evaluation crashed", run_id=run.run_id, case_id=case.case_id)
            await self._record_error(state, item, case, f"{type(exc).__name__}: {exc}")
            return
        stored = await self._record_result(state, item, case, evaluation)
        if stored and self.settings.store_result:
            async with self.db.session() as session:
                await repo.store_slot(
                    session,
                    cache_key=key,
                    slots=self.settings.cache_results,
                    ttl_hours=self.settings.cache_ttl_hours,
                    dataset_id=run.dataset_id,
                    model_key=item.model_key,
                    case_id=case.case_id,
                    source_run_id=run.run_id,
                )

    async def _record_result(
        self, state: _RunState, item: RunCaseStatus, case: Case, evaluation: Evaluation
    ) -> bool:
        run, debate, score = state.run, evaluation.debate, evaluation.score
        judge = debate.judge
        judge_json: dict[str, Any] = dict(debate.judge_data or {})
        judge_json["scoring_mode"] = score.scoring_mode
        if debate.judge_error:
            judge_json["judge_error"] = debate.judge_error
        if evaluation.ml_scores is not None:
            judge_json["ml_scores"] = evaluation.ml_scores.as_dict()
        async with self.db.session() as session:
            if not await repo.end_item(session, item.id, "COMPLETED"):
                return False
            values: dict[str, Any] = {
                "outcome": "scored",
                "verdict": judge.verdict.value if judge else None,
                "label": case.label.value,
                "passed": score.passed,
                "score": score.total,
                "confidence": judge.confidence if judge else None,
                "pressure_score": case.pressure_score,
                "evidence_used_json": list(judge.evidence_used) if judge else [],
                "critical_fail_reason": score.critical_fail_reason,
                "latency_ms": evaluation.latency_ms,
                "cost_estimate": round(debate.cost_usd, 8),
                "prompt_tokens": debate.prompt_tokens,
                "completion_tokens": debate.completion_tokens,
                "llm_calls": debate.calls,
                "judge_json": judge_json,
                "score_breakdown": score.as_dict(),
                "scoring_mode": score.scoring_mode,
                "rubric_version": score.rubric_version,
                "prompt_hash": debate.prompt_hash,
                "dataset_version": run.dataset_version,
            }
            await repo.insert_result(
                session, run_id=run.run_id, case_id=case.case_id, model_key=item.model_key, **values
            )
            await self._publish_scored(
                session, state, case.case_id, item.model_key, values, from_cache=False
            )
        return True

    async def _publish_scored(
        self,
        session: Any,
        state: _RunState,
        case_id: str,
        model_key: str,
        result: dict[str, Any],
        *,
        from_cache: bool,
    ) -> None:
        """Announce a stored result from the values just inserted (no read-back)."""
        await self._publish(
            session,
            state.run.run_id,
            ev.CASE_SCORED,
            {
                "case_id": case_id,
                "model_key": model_key,
                "score": result["score"],
                "passed": result["passed"],
                "verdict": result["verdict"],
                "label": result["label"],
                "confidence": result["confidence"],
                "critical_fail_reason": result["critical_fail_reason"],
                "scoring_mode": result["scoring_mode"],
                "cost_estimate": result["cost_estimate"],
                "from_cache": from_cache,
            },
        )
        await self._publish_progress(session, state)

    async def _record_error(
        self, state: _RunState, item: RunCaseStatus, case: Case, error: str
    ) -> None:
        log.warning("evaluation failed", run_id=state.run.run_id, case_id=case.case_id, error=error)
        async with self.db.session() as session:
            if not await repo.end_item(session, item.id, "FAILED", error=error):
                return
            await repo.insert_result(
                session,
                run_id=state.run.run_id,
                case_id=case.case_id,
                model_key=item.model_key,
                outcome="error",
                label=case.label.value,
                pressure_score=case.pressure_score,
                error=error,
                dataset_version=state.run.dataset_version,
            )
            await self._publish(
                session,
                state.run.run_id,
                ev.CASE_ERROR,
                {"case_id": case.case_id, "model_key": item.model_key, "error": error},
            )
            await self._publish_progress(session, state)

    async def _skip_exhausted(self, state: _RunState, provider: str, error: str) -> None:
        keys = [m["provider"] + "/" + m["model_name"] for m in state.run.models_json]
        same_provider = [key for key in keys if ModelRef.parse(key).provider == provider]
        async with self.db.session() as session:
            skipped = await repo.fail_items(
                session, state.run.run_id, same_provider, f"provider quota exhausted: {error}"
            )
            if skipped:
                await self._publish_progress(session, state)

    async def _publish_progress(self, session: Any, state: _RunState) -> None:
        counts = (await repo.progress(session, [state.run.run_id]))[state.run.run_id]
        done = counts["completed"] + counts["failed"] + counts["cancelled"]
        await self._publish(
            session,
            state.run.run_id,
            ev.METRICS_UPDATE,
            {"completed": done, "failed": counts["failed"], "total": counts["total"]},
        )

    # --- result cache -------------------------------------------------------------------------

    def _cache_key(self, run: Run, case: Case, model_key: str) -> str:
        parts = [
            run.dataset_id,
            run.dataset_hash,
            case.case_id,
            model_key,
            run.judge_model or "",
            run.prompt_hash,
            run.rubric_version,
            run.scoring_mode,
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    async def _replay_from_cache(self, state: _RunState, item: RunCaseStatus, key: str) -> bool:
        """Serve a stored evaluation once every slot is filled (so slots really vary)."""
        async with self.db.session() as session:
            slots = await repo.cache_slots(session, key)
            if len(slots) < self.settings.cache_results:
                return False
            slot = slots[0]
            result, messages = await repo.source_result(
                session, slot.source_run_id, slot.case_id, slot.model_key
            )
            if result is None or result.outcome != "scored":
                return False
            await repo.mark_served(session, slot.id)
        run_id, case = state.run.run_id, state.cases[item.case_id]
        delays = replay_delays(
            [message.created_at for message in messages],
            max_seconds=self.settings.cache_replay_max_seconds,
        )
        phase = None
        for message, delay in zip(messages, delays, strict=True):
            await asyncio.sleep(delay)
            async with self.db.session() as session:
                if message.phase != phase:
                    phase = message.phase
                    await self._publish(
                        session,
                        run_id,
                        ev.CASE_PHASE_STARTED,
                        {"case_id": case.case_id, "model_key": item.model_key, "phase": phase},
                    )
                await self._store_message(session, run_id, case.case_id, item.model_key, message)
        async with self.db.session() as session:
            if not await repo.end_item(session, item.id, "COMPLETED", from_cache=True):
                return True
            copied = {
                column: getattr(result, column)
                for column in (
                    "outcome", "verdict", "label", "passed", "score", "confidence",
                    "pressure_score", "evidence_used_json", "critical_fail_reason", "latency_ms",
                    "cost_estimate", "prompt_tokens", "completion_tokens", "llm_calls",
                    "judge_json", "score_breakdown", "scoring_mode", "rubric_version",
                    "prompt_hash", "dataset_version",
                )
            }  # fmt: skip
            await repo.insert_result(
                session,
                run_id=run_id,
                case_id=case.case_id,
                model_key=item.model_key,
                from_cache=True,
                **copied,
            )
            await self._publish_scored(
                session, state, case.case_id, item.model_key, copied, from_cache=True
            )
        return True

    # --- persistence of the live debate -------------------------------------------------------

    async def _store_message(
        self,
        session: Any,
        run_id: str,
        case_id: str,
        model_key: str,
        message: DebateMessage | RunMessage,
    ) -> None:
        if isinstance(message, RunMessage):  # replayed from the cache
            latency_ms = message.latency_ms
        else:
            latency_ms = round(message.latency_s * 1000)
        session.add(
            RunMessage(
                run_id=run_id,
                case_id=case_id,
                model_key=model_key,
                role=message.role,
                phase=message.phase,
                round=message.round,
                content=message.content,
                valid=message.valid,
                retried=message.retried,
                prompt_tokens=message.prompt_tokens,
                completion_tokens=message.completion_tokens,
                cost_usd=message.cost_usd,
                latency_ms=latency_ms,
            )
        )
        content, truncated = ev.clip(message.content)
        await self._publish(
            session,
            run_id,
            ev.AGENT_MESSAGE,
            {
                "case_id": case_id,
                "model_key": model_key,
                "role": message.role,
                "phase": message.phase,
                "round": message.round,
                "content": content,
                "truncated": truncated,
                "valid": message.valid,
            },
        )

    async def _publish(self, session: Any, run_id: str, type_: str, data: dict[str, Any]) -> None:
        event = await self.events.publish(session, ev.stream_of(run_id), type_, data)
        for listener in self.listeners:
            listener(event)


class _Recorder:
    """The debate's observer: phases and messages are stored and announced in order, off the
    debate's critical path.

    The debate hands each one over and carries on; a writer task commits whatever has queued up
    in one transaction (message rows and their events together), so the model's next call never
    waits for the database. ``close`` drains the queue before the result is written, so a
    result's event always follows its transcript.
    """

    def __init__(self, executor: RunExecutor, run_id: str, case_id: str, model_key: str) -> None:
        self.executor = executor
        self.run_id = run_id
        self.case_id = case_id
        self.model_key = model_key
        self._queue: asyncio.Queue[str | DebateMessage | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write())

    async def phase_started(self, phase: str) -> None:
        self._queue.put_nowait(str(phase))

    async def message(self, message: DebateMessage) -> None:
        self._queue.put_nowait(message)

    async def close(self) -> None:
        """Wait until everything handed over is committed; raises what the writer hit."""
        self._queue.put_nowait(None)
        await self._writer

    async def abort(self) -> None:
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)

    async def _write(self) -> None:
        done = False
        while not done:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            async with self.executor.db.session() as session:
                for item in batch:
                    if item is None:
                        done = True
                    elif isinstance(item, str):
                        await self.executor._publish(
                            session,
                            self.run_id,
                            ev.CASE_PHASE_STARTED,
                            {"case_id": self.case_id, "model_key": self.model_key, "phase": item},
                        )
                    else:
                        await self.executor._store_message(
                            session, self.run_id, self.case_id, self.model_key, item
                        )

"""What a worker does for one inference job (blocking; runs inside the Celery task).

Checks happen again here, not only at create time, because time passed in the queue: the model
may have been deleted, archived, made private, or its owner may have lost access. Those failures
and bad inputs are permanent (retrying cannot fix them) and fail the job at once; database and
connection hiccups are left to the task's retry policy.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from modelforge.inference.sessions import SessionPool
from modelforge.inference.tensors import decode_inputs, parse_schema
from modelforge.models import InferenceJob, MLModel, ModelStatus, User
from modelforge.registry.access import Actor, readable
from servicekit.db import Database
from servicekit.jobs import JobCancelled, JobContext, PermanentError


class ModelUnavailable(PermanentError):
    """The job's model is gone, not readable by the job's owner, or not ready any more."""


@dataclass(frozen=True)
class InferenceRunner:
    db: Database
    storage_root: Path
    sessions: SessionPool

    def run(self, job: JobContext[InferenceJob], worker_id: str) -> Any:
        row = job.job
        self._record(row.id, worker_id=worker_id, queue_time_ms=_queue_ms(row))
        try:
            return self._infer(job)
        except JobCancelled:
            raise
        except Exception:
            # The owner sees where it failed; the retry policy then decides what happens.
            self._record(row.id, error_traceback=traceback.format_exc())
            raise

    def _infer(self, job: JobContext[InferenceJob]) -> Any:
        row = job.job
        model = self._readable_model(row)
        specs = parse_schema(model.input_schema or [])
        batch = isinstance(row.input_data, list)
        items = row.input_data if batch else [row.input_data]
        # Decode everything first: one bad item fails the job before any work is done.
        decoded = [decode_inputs(specs, item) for item in items]
        path = self._file(model)
        outputs: list[Any] = []
        total_ms = 0.0
        for done, inputs in enumerate(decoded, start=1):
            prediction = self.sessions.run(str(model.id), model.file_hash or "", path, inputs)
            outputs.append(prediction.outputs)
            total_ms += prediction.inference_ms
            if batch:
                job.progress(done / len(decoded), f"{done}/{len(decoded)} inputs")
        # A cancel asked while a single input ran: drop the result rather than store it.
        job.check_cancelled()
        self._record(row.id, inference_time_ms=total_ms, error_traceback=None)
        return outputs if batch else outputs[0]

    def _readable_model(self, row: InferenceJob) -> MLModel:
        with self.db.sync_session() as session:
            owner = session.get(User, row.owner_id)
            if owner is None or not owner.is_active:
                raise ModelUnavailable("the job's owner no longer exists or is disabled")
            actor = Actor(owner.id, owner.is_admin)
            model = session.scalar(
                select(MLModel).where(MLModel.id == row.model_id, readable(actor))
            )
            if model is None:
                raise ModelUnavailable("the model no longer exists or is not readable")
            if model.status is not ModelStatus.ready or model.file_path is None:
                raise ModelUnavailable(f"the model is {model.status.value}, not ready")
            session.expunge(model)
            return model

    def _file(self, model: MLModel) -> Path:
        assert model.file_path is not None
        path = (self.storage_root / model.file_path).resolve()
        # file_path is written by the server, but a row edited by hand must not reach elsewhere.
        if not path.is_relative_to(self.storage_root.resolve()):
            raise ModelUnavailable("the model's file is outside the model storage")
        return path

    def _record(self, job_id: Any, **values: Any) -> None:
        with self.db.sync_session() as session:
            session.execute(
                update(InferenceJob)
                .where(InferenceJob.id == job_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def _queue_ms(row: InferenceJob) -> float | None:
    if row.started_at is None or row.created_at is None:
        return None
    return max(0.0, (row.started_at - row.created_at).total_seconds() * 1000.0)

"""Prediction use cases: run a model for a reader, record the history, page and export it.

Every prediction, cache hits included, becomes a ``predictions`` row (the audit trail the spec
asks for); the row is handed to the per-process ``HistoryWriter``, which inserts rows in
batches off the request path. History reads flush this process's writer first, so a client
reading after predicting on the same process sees its predictions.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelforge.inference.predictor import ModelFile, Predictor, PredictOutcome
from modelforge.inference.sessions import InferenceError, ModelLoadError
from modelforge.inference.tensors import InputError, parse_schema
from modelforge.models import MLModel, ModelStatus, Prediction
from modelforge.predictions.csv_cells import csv_line
from modelforge.predictions.history_writer import HistoryWriter
from modelforge.predictions.repository import PredictionRepository
from modelforge.registry.access import Actor
from modelforge.registry.service import RegistryService
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, ServiceError, Unprocessable
from servicekit.ttl_cache import TtlCache

MODEL_FILE_MEMO_SECONDS = 3600.0

CSV_COLUMNS = (
    "id",
    "created_at",
    "model_id",
    "request_id",
    "cached",
    "inference_time_ms",
    "input_data",
    "output_data",
)


@dataclass(frozen=True, slots=True)
class Served:
    """A prediction as recorded (the ``predictions`` row's values), and how it was served
    (for ``X-Cache``)."""

    record: Mapping[str, Any]
    outcome: PredictOutcome


def _refuse_unless_ready(model: MLModel) -> None:
    """409 naming the status of a model that cannot serve predictions."""
    if model.status != ModelStatus.ready:
        raise Conflict(
            f"model {model.name!r} version {model.version!r} is {model.status.value}; "
            "only ready (validated) models serve predictions",
            code="model_not_ready",
            details={"status": model.status.value},
        )
    if model.file_hash is None or model.input_schema is None:
        raise Conflict("the model has no validated file", code="model_not_ready")


class PredictionService:
    def __init__(
        self,
        db: Database,
        registry: RegistryService,
        predictor: Predictor,
        history_writer: HistoryWriter,
    ) -> None:
        self.db = db
        self.registry = registry
        self.predictor = predictor
        self.history_writer = history_writer
        # What the inference core needs about a model version, built once per file: the key
        # holds everything it is made of (the schema comes with the file hash), so an entry is
        # never stale, only unused.
        self._model_files: TtlCache[tuple[object, ...], ModelFile] = TtlCache(
            MODEL_FILE_MEMO_SECONDS, max_entries=1024
        )

    def _model_file(self, model: MLModel) -> ModelFile:
        _refuse_unless_ready(model)
        key = (model.id, model.version, model.file_hash, model.file_path)
        found = self._model_files.get(key)
        if found is None:
            assert model.file_hash is not None and model.input_schema is not None
            found = ModelFile(
                model_id=str(model.id),
                version=model.version,
                sha256=model.file_hash,
                path=self.registry.model_file(model),
                inputs=parse_schema(model.input_schema),
            )
            self._model_files.put(key, found)
        return found

    async def predict(
        self,
        actor: Actor,
        model: MLModel,
        payload: Mapping[str, Any],
        *,
        history_input: Any,
        skip_cache: bool = False,
        request_id: str | None = None,
        client_ip: str | None = None,
    ) -> Served:
        """Run ``model`` (already resolved for ``actor``) on ``payload`` and record it.

        ``history_input`` is the JSON stored as the row's ``input_data`` (the client's own body
        for REST, the named tensors for OIP).
        """
        target = self._model_file(model)
        try:
            outcome = await self.predictor.predict(target, payload, skip_cache=skip_cache)
        except InputError as exc:
            raise Unprocessable(
                "the inputs do not fit the model: " + "; ".join(exc.problems),
                code="invalid_input",
                details={"problems": exc.problems},
            ) from exc
        except InferenceError as exc:
            raise Unprocessable(f"inference failed: {exc}", code="inference_failed") from exc
        except ModelLoadError as exc:
            raise ServiceError(
                f"the model could not be loaded: {exc}", status_code=500, code="model_load_failed"
            ) from exc
        values = {
            "id": uuid.uuid4(),
            "model_id": model.id,
            "owner_id": model.owner_id,
            "requester_id": actor.user_id,
            "input_data": history_input,
            "output_data": outcome.outputs,
            "inference_time_ms": outcome.inference_ms,
            "cached": outcome.cache == "HIT",
            "request_id": request_id,
            "client_ip": client_ip,
            "created_at": datetime.now(UTC),
        }
        await self.history_writer.record(values)
        return Served(values, outcome)

    async def _history_model(self, actor: Actor, model_id: uuid.UUID) -> MLModel:
        model = await self.registry.get(actor, model_id)  # 404 when not even readable
        if not actor.is_admin and model.owner_id != actor.user_id:
            raise Forbidden("only the model's owner may read its prediction history")
        return model

    async def history(
        self, actor: Actor, model_id: uuid.UUID, *, page: int, page_size: int
    ) -> tuple[Sequence[Prediction], int, int]:
        """The page's predictions (newest first), the total and the number of pages."""
        await self._history_model(actor, model_id)
        await self.history_writer.flush()
        async with self.db.session() as session:
            items, total = await PredictionRepository(session).page(
                model_id, offset=(page - 1) * page_size, limit=page_size
            )
        return items, total, math.ceil(total / page_size) if total else 0

    async def export_csv(
        self, actor: Actor, model_id: uuid.UUID
    ) -> tuple[MLModel, AsyncIterator[str]]:
        """The model and its whole history as CSV lines; access is checked before returning,
        so a refusal is an error response rather than a broken stream."""
        model = await self._history_model(actor, model_id)
        await self.history_writer.flush()
        return model, self._csv_lines(model_id)

    async def _csv_lines(self, model_id: uuid.UUID) -> AsyncIterator[str]:
        yield csv_line(CSV_COLUMNS)
        async with self.db.session() as session:
            async for row in PredictionRepository(session).stream(model_id):
                yield csv_line(
                    (
                        row.id,
                        row.created_at.isoformat(),
                        row.model_id,
                        row.request_id,
                        "true" if row.cached else "false",
                        f"{row.inference_time_ms:.3f}",
                        _json(row.input_data),
                        _json(row.output_data),
                    )
                )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

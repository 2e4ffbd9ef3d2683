"""Models resolved by id without a database round trip on most predictions.

The cache keeps each model's record (whoever asked) for ``ttl_seconds`` and applies the same
read rule as the query filter (``access.can_read``) to every caller, so a cached record is never
shown to someone the database would have refused. The registry's change hook evicts a model in
this process as soon as it changes (visibility, status, file, deletion...); another worker
process serves its older copy until the entry expires, at most ``ttl_seconds`` after the change
committed. Changes made outside the web app's registry (the CLI, a cascade when an account is
deleted) are bounded the same way.
"""

from __future__ import annotations

import uuid

from sqlalchemy import true

from modelforge.models import MLModel
from modelforge.registry.access import Actor, can_read
from modelforge.registry.repository import RegistryRepository
from servicekit.db import Database
from servicekit.errors import NotFound
from servicekit.ttl_cache import TtlCache

DEFAULT_TTL_SECONDS = 2.0


class ResolvedModelCache:
    def __init__(
        self, db: Database, *, ttl_seconds: float = DEFAULT_TTL_SECONDS, max_entries: int = 1000
    ) -> None:
        self._db = db
        self._models: TtlCache[uuid.UUID, MLModel] = TtlCache(ttl_seconds, max_entries=max_entries)
        # Bumped by every eviction so that a read racing a change does not re-cache the old row.
        self._generation = 0

    async def readable(self, actor: Actor, model_id: uuid.UUID) -> MLModel:
        """The model if ``actor`` may read it; 404 otherwise (as ``RegistryService.get``)."""
        model = self._models.get(model_id)
        if model is None:
            generation = self._generation
            async with self._db.session() as session:
                model = await RegistryRepository(session).get(model_id, true())
            if model is None:
                raise NotFound("model not found")
            if generation == self._generation:
                self._models.put(model_id, model)
        if not can_read(actor, model):
            raise NotFound("model not found")
        return model

    def evict(self, model_id: uuid.UUID) -> None:
        self._generation += 1
        self._models.evict(model_id)

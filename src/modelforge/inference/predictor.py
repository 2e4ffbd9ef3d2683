"""One prediction end to end: decode against the schema, look up the cache, run, store.

This is the part the REST route, the OIP route and the CLI share; they add the registry lookup,
authorization and the history row around it. ``cached`` tells the route what to put in
``X-Cache`` (HIT, MISS, or BYPASS when the caller asked to skip the cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from modelforge.inference.cache import PredictionCache
from modelforge.inference.sessions import SessionPool
from modelforge.inference.tensors import TensorSpec, decode_inputs

CacheStatus = Literal["HIT", "MISS", "BYPASS"]


@dataclass(frozen=True, slots=True)
class ModelFile:
    """What the inference core needs to know about one model version (plain values)."""

    model_id: str
    version: str
    sha256: str
    path: Path
    inputs: Sequence[TensorSpec]


@dataclass(frozen=True, slots=True)
class PredictOutcome:
    outputs: dict[str, Any]
    inference_ms: float
    """The run's inference time; on a hit, the original run's."""
    cache: CacheStatus
    lookup_ms: float | None = None
    """The cache lookup's own time, on a hit."""


class Predictor:
    def __init__(
        self, sessions: SessionPool, cache: PredictionCache, *, max_elements: int | None = None
    ) -> None:
        self.sessions = sessions
        self.cache = cache
        self._max_elements = max_elements

    async def predict(
        self, model: ModelFile, payload: Mapping[str, Any], *, skip_cache: bool = False
    ) -> PredictOutcome:
        """Raises InputError (-> 422), ModelLoadError or InferenceError."""
        inputs = decode_inputs(model.inputs, payload, max_elements=self._max_elements)
        use_cache = self.cache.enabled and not skip_cache
        key = ""
        if use_cache:
            key = self.cache.key_for(model.model_id, model.version, model.sha256, inputs)
            hit = await self.cache.get(model.model_id, key)
            if hit is not None:
                return PredictOutcome(hit.outputs, hit.inference_ms, "HIT", hit.lookup_ms)
        result = await self.sessions.predict(model.model_id, model.sha256, model.path, inputs)
        if use_cache:
            await self.cache.set(key, result.outputs, result.inference_ms)
        status: CacheStatus = "MISS" if use_cache else "BYPASS"
        return PredictOutcome(result.outputs, result.inference_ms, status)

"""How a teammate picks the assistants that answer a question; pure.

- ``weighted``: the ``max_assistants`` heaviest (ties: the oldest first); their answers are all
  returned, the heaviest first, and the first is the teammate's answer;
- ``sequential``: every selected assistant in order, one after the other; the answer lists each;
- ``parallel``: the same assistants, run concurrently;
- ``fallback``: in order until one finds an answer in its knowledge; only that one answers.

Configs are validated when stored, so an unknown strategy or weight never reaches a query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strategy(StrEnum):
    weighted = "weighted"
    sequential = "sequential"
    parallel = "parallel"
    fallback = "fallback"


class OrchestrationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = Strategy.weighted
    assistant_ids: list[uuid.UUID] | None = Field(
        default=None, description="Which assistants take part, in this order (default: all)."
    )
    weights: dict[uuid.UUID, float] = Field(
        default_factory=dict, description="Weight per assistant id (default 1)."
    )
    max_assistants: int = Field(default=1, ge=1, le=20)

    @model_validator(mode="after")
    def _weights_non_negative(self) -> OrchestrationConfig:
        if any(weight < 0 for weight in self.weights.values()):
            raise ValueError("weights must be zero or positive")
        if self.assistant_ids is not None and len(set(self.assistant_ids)) != len(
            self.assistant_ids
        ):
            raise ValueError("assistant_ids has duplicates")
        return self


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    name: str
    position: int  # creation order within the teammate


def select(config: OrchestrationConfig, assistants: list[Candidate]) -> list[Candidate]:
    """The assistants that answer, in the order their answers are given."""
    by_id = {candidate.id: candidate for candidate in assistants}
    if config.assistant_ids is not None:
        chosen = [by_id[i] for i in config.assistant_ids if i in by_id]
    else:
        chosen = sorted(assistants, key=lambda candidate: candidate.position)
    if config.strategy is Strategy.weighted:
        weighted = [c for c in chosen if config.weights.get(c.id, 1.0) > 0]
        weighted.sort(key=lambda c: (-config.weights.get(c.id, 1.0), c.position))
        return weighted[: config.max_assistants]
    return chosen

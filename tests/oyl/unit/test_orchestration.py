"""Which assistants answer, by strategy."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from oyl.answers.orchestration import Candidate, OrchestrationConfig, select

A, B, C = (
    Candidate(uuid.uuid4(), name, i) for i, name in enumerate(["Planner", "Researcher", "Writer"])
)
ALL = [C, A, B]  # any order in: positions decide


def config(**values: object) -> OrchestrationConfig:
    return OrchestrationConfig.model_validate(values)


def test_weighted_picks_the_heaviest() -> None:
    chosen = select(config(weights={A.id: 0.1, B.id: 2.5}), ALL)
    assert chosen == [B]
    assert select(config(weights={A.id: 0.1, B.id: 2.5}, max_assistants=2), ALL) == [B, C]


def test_weighted_ties_go_to_the_oldest_and_zero_weight_never_answers() -> None:
    assert select(config(), ALL) == [A]
    assert select(config(weights={A.id: 0}, max_assistants=3), ALL) == [B, C]


@pytest.mark.parametrize("strategy", ["sequential", "parallel", "fallback"])
def test_ordered_strategies_keep_the_given_order(strategy: str) -> None:
    assert select(config(strategy=strategy), ALL) == [A, B, C]
    assert select(config(strategy=strategy, assistant_ids=[C.id, A.id]), ALL) == [C, A]


def test_invalid_configs_are_refused() -> None:
    for bad in (
        {"strategy": "round_robin"},
        {"max_assistants": 0},
        {"weights": {str(A.id): -1}},
        {"assistant_ids": [str(A.id), str(A.id)]},
        {"unknown": 1},
    ):
        with pytest.raises(ValidationError):
            OrchestrationConfig.model_validate(bad)

"""Fixtures for the pure scoring core: judge decisions and result records built in one line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from galileo_arena.core.metrics import ResultRecord
from galileo_arena.core.schemas import JudgeDecision, Verdict

# The worked examples of spec section 6 use a case with these two evidence packets.
CASE_EIDS = frozenset({"X-E1", "X-E2"})


@pytest.fixture
def valid_eids() -> frozenset[str]:
    return CASE_EIDS


@pytest.fixture
def decision() -> Callable[..., JudgeDecision]:
    """Build a validated JudgeDecision; defaults are a confident, cited, plain SUPPORTED."""

    def build(
        verdict: Verdict = Verdict.SUPPORTED,
        confidence: float = 0.9,
        evidence_used: list[str] | None = None,
        reasoning: str = "plain",
    ) -> JudgeDecision:
        return JudgeDecision(
            verdict=verdict,
            confidence=confidence,
            evidence_used=["X-E1"] if evidence_used is None else evidence_used,
            reasoning=reasoning,
        )

    return build


@pytest.fixture
def record() -> Callable[..., ResultRecord]:
    """Build a ResultRecord; defaults are a passing, correct, low-pressure result."""

    def build(case_id: str = "C1", model_key: str = "scripted/a", **fields: object) -> ResultRecord:
        values: dict[str, object] = {
            "verdict": Verdict.SUPPORTED,
            "label": Verdict.SUPPORTED,
            "score": 90,
            "passed": True,
            "confidence": 0.9,
            "critical_fail_reason": None,
            "latency_ms": 100.0,
            "cost_usd": 0.001,
            "pressure_score": 5,
        }
        values.update(fields)
        return ResultRecord(case_id=case_id, model_key=model_key, **values)  # type: ignore[arg-type]

    return build

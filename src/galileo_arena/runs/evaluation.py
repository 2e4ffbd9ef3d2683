"""One evaluation: a case debated by one model, then scored (keyword rubric, ML when loaded).

No persistence here: the executor stores what the observer reports and the final evaluation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from galileo_arena.config import Settings
from galileo_arena.core.rubric import Rubric
from galileo_arena.core.schemas import Case, MLScores
from galileo_arena.core.scoring import CaseScore, score_case
from galileo_arena.debate.controller import (
    DebateConfig,
    DebateObserver,
    DebateOutcome,
    run_debate,
)
from galileo_arena.ml.scorer import MLScorer
from servicekit.llm import LLMClient, ModelRef


@dataclass(frozen=True)
class Evaluation:
    debate: DebateOutcome
    score: CaseScore
    ml_scores: MLScores | None
    latency_ms: int


class Evaluator:
    def __init__(
        self,
        llm: LLMClient,
        settings: Settings,
        rubric: Rubric,
        scorer: MLScorer | None = None,
    ) -> None:
        self.llm = llm
        self.settings = settings
        self.rubric = rubric
        self.scorer = scorer

    @property
    def scoring_mode(self) -> str:
        return "ml" if self.scorer is not None else "deterministic"

    def debate_config(self, model_key: str, judge_model: str | None) -> DebateConfig:
        local = ModelRef.parse(model_key).provider == "local"
        return DebateConfig(
            max_tokens=(
                self.settings.local_debate_max_tokens if local else self.settings.debate_max_tokens
            ),
            structured_output=self.settings.structured_output,
            prompt_version=self.settings.prompt_version,
            judge_model=judge_model,
        )

    async def evaluate(
        self,
        case: Case,
        model_key: str,
        *,
        judge_model: str | None = None,
        observer: DebateObserver | None = None,
    ) -> Evaluation:
        started = time.perf_counter()
        debate = await run_debate(
            self.llm,
            model_key,
            case.packet(),
            config=self.debate_config(model_key, judge_model),
            observer=observer,
        )
        ml_scores = None
        if self.scorer is not None and debate.judge is not None:
            summaries = {packet.eid: packet.summary for packet in case.evidence_packets}
            cited = [summaries[eid] for eid in debate.judge.evidence_used if eid in summaries]
            ml_scores = await self.scorer.score(debate.judge.reasoning, cited)
        score = score_case(
            debate.judge,
            label=case.label,
            valid_eids=case.evidence_ids,
            safe_to_answer=case.safe_to_answer,
            ml=ml_scores,
            judge_error=debate.judge_error,
            rubric=self.rubric,
            thresholds=self.settings.ml_thresholds,
        )
        latency_ms = round((time.perf_counter() - started) * 1000)
        return Evaluation(debate=debate, score=score, ml_scores=ml_scores, latency_ms=latency_ms)

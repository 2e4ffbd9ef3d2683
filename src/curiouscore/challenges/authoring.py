"""Authoring aids: the model overview, prompt quality checks (spec tiers 1-3) and test runs."""

from __future__ import annotations

import uuid
from typing import Any

from curiouscore.challenges import repository
from curiouscore.challenges.prompt_checks import check_prompt, recommendation
from curiouscore.challenges.schemas import ModelAssignment, ModelOverview, PromptCheckRequest
from curiouscore.challenges.service import rendered_prompt
from curiouscore.engine.grading import clamp_llm_score
from curiouscore.engine.simple_mode import ProgressTracking, metadata_contract, split_metadata
from curiouscore.play.game_master import GameMaster
from servicekit.db import Database
from servicekit.errors import NotFound, ServiceError, ServiceUnavailable
from servicekit.llm import LLMError

PREVIEW_CHARS = 1000
RAW_CHARS = 500


class AuthoringService:
    def __init__(self, db: Database, game_master: GameMaster) -> None:
        self.db = db
        self.gm = game_master

    async def model_overview(self) -> ModelOverview:
        """Which model each challenge's LLM roles use, and which providers are usable now."""
        async with self.db.session() as db:
            rows = await repository.with_model(db)
        return ModelOverview(
            default_model=self.gm.settings.default_model,
            configured_providers=self.gm.llm.configured_providers(),
            assignments=[
                ModelAssignment(challenge_id=c.id, title=c.title, llm_model=c.llm_model or "")
                for c in rows
            ],
        )

    async def verify_prompt(self, request: PromptCheckRequest) -> dict[str, Any]:
        report = check_prompt(request.system_prompt)
        review: dict[str, Any] | None = None
        model = self.gm.settings.default_model
        if request.run_llm and model is not None:
            try:
                completion = await self.gm.review_prompt(
                    request.system_prompt, request.title, request.difficulty, model
                )
                data = completion.data or {}
                review = {
                    "feedback": str(data.get("feedback", "")),
                    "suggestions": [str(s) for s in data.get("suggestions", [])][:10],
                    "confidence": clamp_llm_score(data.get("confidence"), 100),
                }
            except LLMError:
                review = {
                    "feedback": "The LLM review is unavailable right now.",
                    "suggestions": [],
                    "confidence": 0,
                }
        return {
            "tier1_heuristics": {
                "score": report.score,
                "passed": report.passed,
                "issues": report.issues,
                "warnings": report.warnings,
            },
            "tier2_llm": review,
            "tier3_test_available": True,
            "overall_recommendation": recommendation(
                report, review["confidence"] if review else None
            ),
        }

    async def test_run(self, challenge_id: uuid.UUID, message: str) -> dict[str, Any]:
        async with self.db.session() as db:
            challenge = await repository.get(db, challenge_id)
        if challenge is None:
            raise NotFound("Challenge not found")
        if challenge.challenge_type != "simple":
            raise ServiceError("Test runs are for simple challenges only", code="not_simple")
        model = self.gm.model_for(challenge.llm_model)
        if model is None:
            raise ServiceError(
                "No model configured: set the challenge's model or DEFAULT_LLM_PROVIDER and "
                "DEFAULT_LLM_MODEL",
                code="no_model",
            )
        system = rendered_prompt(challenge) + metadata_contract(
            xp_reward=challenge.xp_reward,
            passing_score=challenge.passing_score,
            tracking=ProgressTracking.from_config(
                (challenge.custom_variables or {}).get("progress_tracking")
            ),
        )
        try:
            completion = await self.gm.test_run(system, message, model)
        except LLMError as exc:
            raise ServiceUnavailable(f"The model did not answer ({type(exc).__name__})") from exc
        content, metadata = split_metadata(completion.text)
        return {
            "success": True,
            "content": content,
            "metadata": metadata,
            "metadata_found": metadata is not None,
            "raw_response": completion.text[:RAW_CHARS],
            "system_prompt_preview": system[-PREVIEW_CHARS:],
            "provider": completion.model.split("/", 1)[0],
            "model": completion.model.split("/", 1)[-1],
            "full_response_length": len(completion.text),
            "metadata_instructions_included": True,
        }

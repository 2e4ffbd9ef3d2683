"""``/admin/challenges/*``: authoring, per-challenge model, prompt checks and test runs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from curiouscore.challenges.schemas import (
    Activation,
    ChallengeAdmin,
    ChallengeCreate,
    ChallengeDetail,
    ChallengePage,
    ChallengeUpdate,
    Difficulty,
    ModelMapping,
    ModelOverview,
    PromptCheckRequest,
    PromptUpdate,
    Reorder,
    StepCreate,
    StepOut,
    StepUpdate,
    TestRunRequest,
)
from curiouscore.dependencies import Admin, Core

router = APIRouter(prefix="/admin/challenges", tags=["admin"])


@router.get("")
async def page(
    _: Admin,
    cc: Core,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    search: Annotated[str | None, Query(max_length=200)] = None,
    difficulty: Difficulty | None = None,
) -> ChallengePage:
    return await cc.challenges.page(page=page, limit=limit, search=search, difficulty=difficulty)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(body: ChallengeCreate, _: Admin, cc: Core) -> ChallengeAdmin:
    return await cc.challenges.create(body)


@router.get("/models")
async def models(_: Admin, cc: Core) -> ModelOverview:
    """Which model each challenge's LLM roles use, and which providers are usable now."""
    return await cc.authoring.model_overview()


@router.post("/verify-prompt")
async def verify_prompt(body: PromptCheckRequest, _: Admin, cc: Core) -> dict[str, Any]:
    return await cc.authoring.verify_prompt(body)


@router.get("/{challenge_id}")
async def detail(challenge_id: uuid.UUID, _: Admin, cc: Core) -> ChallengeDetail:
    return await cc.challenges.detail(challenge_id)


@router.patch("/{challenge_id}")
async def update(
    challenge_id: uuid.UUID, body: ChallengeUpdate, _: Admin, cc: Core
) -> ChallengeAdmin:
    return await cc.challenges.update(challenge_id, body)


@router.delete("/{challenge_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(challenge_id: uuid.UUID, _: Admin, cc: Core) -> None:
    await cc.challenges.delete(challenge_id)


# The upstream admin UI's two narrow edits, kept for its clients.
@router.patch("/{challenge_id}/activation")
async def set_activation(
    challenge_id: uuid.UUID, body: Activation, _: Admin, cc: Core
) -> ChallengeAdmin:
    return await cc.challenges.update(challenge_id, ChallengeUpdate(is_active=body.is_active))


@router.patch("/{challenge_id}/prompt")
async def set_prompt(
    challenge_id: uuid.UUID, body: PromptUpdate, _: Admin, cc: Core
) -> ChallengeAdmin:
    return await cc.challenges.update(
        challenge_id, ChallengeUpdate(system_prompt=body.system_prompt)
    )


@router.put("/{challenge_id}/model")
async def set_model(
    challenge_id: uuid.UUID, body: ModelMapping, _: Admin, cc: Core
) -> ChallengeAdmin:
    """The LLM (``provider/model``) of every role in this challenge; null: the default."""
    return await cc.challenges.update(challenge_id, ChallengeUpdate(llm_model=body.llm_model))


@router.post("/{challenge_id}/test-run")
async def test_run(
    challenge_id: uuid.UUID, body: TestRunRequest, _: Admin, cc: Core
) -> dict[str, Any]:
    return await cc.authoring.test_run(challenge_id, body.test_message)


@router.get("/{challenge_id}/steps")
async def list_steps(challenge_id: uuid.UUID, _: Admin, cc: Core) -> list[StepOut]:
    return await cc.challenges.steps(challenge_id)


@router.post("/{challenge_id}/steps", status_code=status.HTTP_201_CREATED)
async def add_step(challenge_id: uuid.UUID, body: StepCreate, _: Admin, cc: Core) -> StepOut:
    return await cc.challenges.add_step(challenge_id, body)


# Declared before ``/{step_id}`` routes so that "reorder" is never read as a step id.
@router.patch("/{challenge_id}/steps/reorder")
async def reorder(challenge_id: uuid.UUID, body: Reorder, _: Admin, cc: Core) -> list[StepOut]:
    return await cc.challenges.reorder(challenge_id, body.step_ids)


@router.get("/{challenge_id}/steps/{step_id}")
async def get_step(challenge_id: uuid.UUID, step_id: uuid.UUID, _: Admin, cc: Core) -> StepOut:
    return await cc.challenges.get_step(challenge_id, step_id)


@router.patch("/{challenge_id}/steps/{step_id}")
async def update_step(
    challenge_id: uuid.UUID, step_id: uuid.UUID, body: StepUpdate, _: Admin, cc: Core
) -> StepOut:
    return await cc.challenges.update_step(challenge_id, step_id, body)


@router.delete("/{challenge_id}/steps/{step_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_step(challenge_id: uuid.UUID, step_id: uuid.UUID, _: Admin, cc: Core) -> None:
    await cc.challenges.delete_step(challenge_id, step_id)

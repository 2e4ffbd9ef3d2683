"""The public catalogue: ``/challenges``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from curiouscore.challenges.schemas import ChallengePublic
from curiouscore.dependencies import Core

router = APIRouter(prefix="/challenges", tags=["challenges"])


@router.get("")
async def list_challenges(cc: Core) -> list[ChallengePublic]:
    """Active challenges (no system prompts, no answer keys)."""
    return await cc.challenges.list_public()


@router.get("/{challenge_id}")
async def get_challenge(challenge_id: uuid.UUID, cc: Core) -> ChallengePublic:
    return await cc.challenges.get_public(challenge_id)

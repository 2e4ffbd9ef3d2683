"""Challenge use cases: the catalogue, versions for play, and authoring."""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.challenges import repository
from curiouscore.challenges.schemas import (
    ChallengeAdmin,
    ChallengeCreate,
    ChallengeDetail,
    ChallengePage,
    ChallengePublic,
    ChallengeUpdate,
    StepCreate,
    StepOut,
    StepUpdate,
    check_step,
)
from curiouscore.challenges.templating import UnresolvedVariables, render
from curiouscore.engine.definitions import (
    ChallengeDefinition,
    ChallengeType,
    StepDefinition,
    StepType,
)
from curiouscore.models import Challenge, ChallengeStep
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, ServiceError, Unprocessable

_CACHED_VERSIONS = 256


def challenge_fields(challenge: Challenge) -> dict[str, Any]:
    return {
        "title": challenge.title,
        "description": challenge.description,
        "difficulty": challenge.difficulty,
        "xp_reward": challenge.xp_reward,
        "passing_score": challenge.passing_score,
        "estimated_time_minutes": challenge.estimated_time_minutes,
        "tags": challenge.tags,
        "help_resources": challenge.help_resources,
        "custom_variables": challenge.custom_variables,
    }


def rendered_prompt(challenge: Challenge) -> str:
    try:
        return render(challenge.system_prompt, challenge_fields(challenge))
    except UnresolvedVariables as exc:
        raise ServiceError(str(exc), code="unresolved_variables") from exc


def build_definition(
    challenge: Challenge, steps: list[ChallengeStep], version: int
) -> ChallengeDefinition:
    """The playable definition of a challenge's current content."""
    kind = ChallengeType(challenge.challenge_type)
    prompt = ""
    if kind is ChallengeType.simple:
        prompt = rendered_prompt(challenge)
        playable: tuple[StepDefinition, ...] = (
            StepDefinition(
                step_index=0,
                step_type=StepType.CHAT,
                title=challenge.title,
                instruction=f"Work through {challenge.title} with the Game Master.",
                points_possible=challenge.xp_reward,
                passing_threshold=challenge.passing_score,
            ),
        )
    else:
        playable = tuple(
            StepDefinition(
                step_index=position,
                step_type=StepType(row.step_type),
                title=row.title,
                instruction=row.instruction,
                options=tuple(row.options or ()),
                correct_answer=row.correct_answer,
                correct_answers=tuple(row.correct_answers or ()),
                points_possible=row.points_possible,
                passing_threshold=row.passing_threshold,
                rubric=row.rubric,
                gm_context=row.gm_context,
                auto_narrate=row.auto_narrate,
            )
            for position, row in enumerate(steps)
        )
    return ChallengeDefinition(
        challenge_id=str(challenge.id),
        version=version,
        title=challenge.title,
        challenge_type=kind,
        passing_score=challenge.passing_score,
        xp_reward=challenge.xp_reward,
        steps=playable,
        system_prompt=prompt,
        description=challenge.description,
        difficulty=challenge.difficulty,
        # The model is operations, not content: it is read live (``assigned_model``), so a
        # change reaches running sessions and makes no new version.
        extra={"progress_tracking": (challenge.custom_variables or {}).get("progress_tracking")},
    )


class ChallengeService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._versions: OrderedDict[tuple[str, int], ChallengeDefinition] = OrderedDict()

    # -- the catalogue -------------------------------------------------------------------------

    async def list_public(self) -> list[ChallengePublic]:
        async with self.db.session() as db:
            rows = await repository.list_active(db)
        return [_public(c, n) for c, n in rows]

    async def get_public(self, challenge_id: uuid.UUID) -> ChallengePublic:
        async with self.db.session() as db:
            row = await repository.get_with_count(db, challenge_id, active_only=True)
        if row is None:
            raise NotFound("Challenge not found")
        return _public(*row)

    # -- versions ------------------------------------------------------------------------------

    async def publish(self, db: AsyncSession, challenge_id: uuid.UUID) -> ChallengeDefinition:
        """The version a new session plays: the current content, stored as a new version when
        it differs from every stored one. Only active challenges can be played."""
        challenge = await repository.get(db, challenge_id)
        if challenge is None or not challenge.is_active:
            raise NotFound("Challenge not found")
        steps = await repository.steps(db, challenge_id)
        if challenge.challenge_type == ChallengeType.advanced and not steps:
            raise ServiceError("Advanced challenge has no steps configured", code="no_steps")
        draft = build_definition(challenge, steps, 0)
        content_hash = draft.content_hash()
        for _ in range(3):  # another session creation may publish the same content meanwhile
            stored = await repository.version_by_hash(db, challenge_id, content_hash)
            if stored is not None:
                return self._remember(ChallengeDefinition.from_dict(stored.definition))
            latest = await repository.latest_version(db, challenge_id)
            number = latest.version + 1 if latest else 1
            definition = build_definition(challenge, steps, number)
            if await repository.add_version(
                db, challenge_id, number, content_hash, definition.to_dict()
            ):
                return self._remember(definition)
        raise ServiceError("Challenge is being edited; try again", status_code=409)

    async def version(
        self, db: AsyncSession, challenge_id: uuid.UUID, number: int
    ) -> ChallengeDefinition:
        """A stored version (immutable, so cached in memory)."""
        key = (str(challenge_id), number)
        cached = self._versions.get(key)
        if cached is not None:
            self._versions.move_to_end(key)
            return cached
        stored = await repository.version(db, challenge_id, number)
        if stored is None:
            raise NotFound("Challenge version not found")
        return self._remember(ChallengeDefinition.from_dict(stored.definition))

    async def assigned_model(self, db: AsyncSession, challenge_id: uuid.UUID) -> str | None:
        """The ``provider/model`` an admin assigned to the challenge now, if any."""
        return await repository.assigned_model(db, challenge_id)

    def _remember(self, definition: ChallengeDefinition) -> ChallengeDefinition:
        self._versions[(definition.challenge_id, definition.version)] = definition
        while len(self._versions) > _CACHED_VERSIONS:
            self._versions.popitem(last=False)
        return definition

    # -- authoring -----------------------------------------------------------------------------

    async def page(
        self, *, page: int, limit: int, search: str | None, difficulty: str | None
    ) -> ChallengePage:
        async with self.db.session() as db:
            rows, total = await repository.page(
                db, page=page, limit=limit, search=search, difficulty=difficulty
            )
        return ChallengePage(
            items=[_admin(c, n) for c, n in rows],
            total=total,
            page=page,
            pages=max(1, math.ceil(total / limit)),
            limit=limit,
        )

    async def detail(self, challenge_id: uuid.UUID) -> ChallengeDetail:
        async with self.db.session() as db:
            challenge = await self._get(db, challenge_id)
            steps = await repository.steps(db, challenge_id)
        return ChallengeDetail(
            **_admin(challenge, len(steps)).model_dump(),
            steps=[StepOut.model_validate(s) for s in steps],
        )

    async def create(
        self, request: ChallengeCreate, *, challenge_id: uuid.UUID | None = None
    ) -> ChallengeAdmin:
        values = request.model_dump()
        challenge = Challenge(id=challenge_id or uuid.uuid4(), **values)
        async with self.db.session() as db:
            db.add(challenge)
        return _admin(challenge, 0)

    async def update(self, challenge_id: uuid.UUID, request: ChallengeUpdate) -> ChallengeAdmin:
        async with self.db.session() as db:
            challenge = await self._get(db, challenge_id, lock=True)
            for name, value in request.model_dump(exclude_unset=True).items():
                if value is None and name != "llm_model":
                    raise Unprocessable(f"Invalid {name}: may not be null")
                setattr(challenge, name, value)
            challenge.updated_at = func.now()
        async with self.db.session() as db:
            row = await repository.get_with_count(db, challenge_id, active_only=False)
        if row is None:
            raise NotFound("Challenge not found")
        return _admin(*row)

    async def delete(self, challenge_id: uuid.UUID) -> None:
        """Only a challenge nobody has played: sessions' event logs are an audit trail that is
        never deleted (the guide), so a played challenge is deactivated instead."""
        async with self.db.session() as db:
            challenge = await self._get(db, challenge_id, lock=True)
            if await repository.has_sessions(db, challenge_id):
                raise Conflict(
                    "This challenge has been played and its sessions are kept: deactivate it "
                    "instead (PATCH /admin/challenges/{id}/activation)",
                    code="challenge_played",
                )
            await db.delete(challenge)

    async def add_step(self, challenge_id: uuid.UUID, request: StepCreate) -> StepOut:
        values = _checked(request.model_dump(exclude={"step_index"}))
        async with self.db.session() as db:
            await self._get(db, challenge_id, lock=True)
            steps = await repository.steps(db, challenge_id)
            position = (
                len(steps) if request.step_index is None else min(request.step_index, len(steps))
            )
            for later in steps[position:]:
                later.step_index += 1
            step = ChallengeStep(challenge_id=challenge_id, step_index=position, **values)
            db.add(step)
            await db.flush()
            await db.refresh(step)
        return StepOut.model_validate(step)

    async def steps(self, challenge_id: uuid.UUID) -> list[StepOut]:
        async with self.db.session() as db:
            await self._get(db, challenge_id)
            return [StepOut.model_validate(s) for s in await repository.steps(db, challenge_id)]

    async def get_step(self, challenge_id: uuid.UUID, step_id: uuid.UUID) -> StepOut:
        async with self.db.session() as db:
            return StepOut.model_validate(await self._step(db, challenge_id, step_id))

    async def update_step(
        self, challenge_id: uuid.UUID, step_id: uuid.UUID, request: StepUpdate
    ) -> StepOut:
        async with self.db.session() as db:
            await self._get(db, challenge_id, lock=True)
            step = await self._step(db, challenge_id, step_id)
            current = StepOut.model_validate(step).model_dump(include=set(StepUpdate.model_fields))
            merged = _checked({**current, **request.model_dump(exclude_unset=True)})
            for name, value in merged.items():
                setattr(step, name, value)
            await db.flush()
            return StepOut.model_validate(step)

    async def delete_step(self, challenge_id: uuid.UUID, step_id: uuid.UUID) -> None:
        async with self.db.session() as db:
            await self._get(db, challenge_id, lock=True)
            step = await self._step(db, challenge_id, step_id)
            await db.delete(step)
            await db.flush()
            for position, row in enumerate(await repository.steps(db, challenge_id)):
                row.step_index = position

    async def reorder(self, challenge_id: uuid.UUID, step_ids: list[uuid.UUID]) -> list[StepOut]:
        async with self.db.session() as db:
            await self._get(db, challenge_id, lock=True)
            steps = {s.id: s for s in await repository.steps(db, challenge_id)}
            if len(step_ids) != len(steps) or set(step_ids) != set(steps):
                raise ServiceError(
                    "Step IDs mismatch: give every step of the challenge exactly once",
                    code="step_ids_mismatch",
                )
            for position, step_id in enumerate(step_ids):
                steps[step_id].step_index = position
            await db.flush()
            return [StepOut.model_validate(s) for s in await repository.steps(db, challenge_id)]

    async def _get(
        self, db: AsyncSession, challenge_id: uuid.UUID, *, lock: bool = False
    ) -> Challenge:
        challenge = await repository.get(db, challenge_id, lock=lock)
        if challenge is None:
            raise NotFound("Challenge not found")
        return challenge

    async def _step(
        self, db: AsyncSession, challenge_id: uuid.UUID, step_id: uuid.UUID
    ) -> ChallengeStep:
        step = await repository.step(db, challenge_id, step_id)
        if step is None:
            raise NotFound("Step not found")
        return step


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    if isinstance(values.get("step_type"), StepType):
        values["step_type"] = values["step_type"].value
    try:
        return check_step(values)
    except ValueError as exc:
        raise Unprocessable(f"Invalid step: {exc}") from exc


def _public(challenge: Challenge, step_count: int) -> ChallengePublic:
    return ChallengePublic.model_validate(challenge).model_copy(update={"step_count": step_count})


def _admin(challenge: Challenge, step_count: int) -> ChallengeAdmin:
    return ChallengeAdmin.model_validate(challenge).model_copy(update={"step_count": step_count})

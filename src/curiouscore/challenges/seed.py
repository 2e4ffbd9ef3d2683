"""The seed challenges: YAML files in ``curiouscore/content`` loaded with stable ids.

Ids derive from each file's ``slug`` (uuid5), so re-running the seed finds the same rows and
changes nothing. A seeded challenge whose content differs from its file (an admin edited or
deactivated it, or this release ships a new text) is kept as it is: ``suite up`` seeds at every
start and must not undo an admin's work. ``restore=True`` (``seed --restore``) puts the shipped
content back; sessions keep playing the version they started.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.challenges import repository
from curiouscore.challenges.schemas import ChallengeCreate, StepFields, check_step
from curiouscore.models import Challenge, ChallengeStep
from servicekit.db import Database

SEED_NAMESPACE = uuid.UUID("5f1b2c3e-7a4d-4e8f-9b0a-c0ffee5eed01")
CONTENT_PACKAGE = "curiouscore.content"


@dataclass(frozen=True)
class SeedChallenge:
    id: uuid.UUID
    challenge: dict[str, Any]
    steps: list[dict[str, Any]]


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Differ from their file and were left alone (no ``restore``)."""


def challenge_id_for(slug: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, slug)


def parse_seed(text: str, *, source: str) -> SeedChallenge:
    """One YAML document, validated like an admin's request; ValueError names the problem."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data.get("slug"):
        raise ValueError(f"{source}: a mapping with a slug is required")
    raw_steps = data.pop("steps", None) or []
    slug = data.pop("slug")
    try:
        challenge = ChallengeCreate.model_validate(data).model_dump()
        steps = []
        for position, raw in enumerate(raw_steps):
            fields = StepFields.model_validate(raw).model_dump()
            fields["step_type"] = fields["step_type"].value
            steps.append({**check_step(fields), "step_index": position})
    except (ValidationError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from exc
    return SeedChallenge(challenge_id_for(slug), challenge, steps)


def builtin_seeds() -> list[SeedChallenge]:
    folder = resources.files(CONTENT_PACKAGE)
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    return [parse_seed(entry.read_text(encoding="utf-8"), source=entry.name) for entry in files]


async def seed(
    db: Database, seeds: list[SeedChallenge] | None = None, *, restore: bool = False
) -> SeedReport:
    report = SeedReport()
    for item in seeds if seeds is not None else builtin_seeds():
        async with db.session() as session:
            existing = await repository.get(session, item.id, lock=True)
            title = item.challenge["title"]
            if existing is None:
                session.add(Challenge(id=item.id, **item.challenge))
                await session.flush()
                _add_steps(session, item)
                report.created.append(title)
                continue
            rows = await repository.steps(session, item.id)
            if _same(existing, rows, item):
                report.unchanged.append(title)
                continue
            if not restore:
                report.kept.append(title)
                continue
            for name, value in item.challenge.items():
                setattr(existing, name, value)
            for row in rows:
                await session.delete(row)
            await session.flush()
            _add_steps(session, item)
            report.updated.append(title)
    return report


def _step_id(challenge_id: uuid.UUID, position: int) -> uuid.UUID:
    return uuid.uuid5(challenge_id, f"step-{position}")


def _add_steps(session: AsyncSession, item: SeedChallenge) -> None:
    for step in item.steps:
        session.add(
            ChallengeStep(id=_step_id(item.id, step["step_index"]), challenge_id=item.id, **step)
        )


def _same(challenge: Challenge, rows: list[ChallengeStep], item: SeedChallenge) -> bool:
    if any(getattr(challenge, name) != value for name, value in item.challenge.items()):
        return False
    if len(rows) != len(item.steps):
        return False
    return all(
        row.id == _step_id(item.id, step["step_index"])
        and all(getattr(row, name) == value for name, value in step.items())
        for row, step in zip(rows, item.steps, strict=True)
    )

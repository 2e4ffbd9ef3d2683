"""The versioned scoring rubric: points, thresholds and phrase lists, read from a packaged file.

The numbers live in ``rubrics/<version>.toml`` rather than in code so that every stored result can
name the rubric it was scored with (``version``) and prove which exact values those were
(``digest``, a SHA-256 of the file's parsed content, so comments and layout do not change it).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from galileo_arena.core.keywords import normalize_text

DEFAULT_RUBRIC_VERSION = "v1"

# A version names a file in the package, so it may not carry a path.
_VERSION_SYNTAX = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.IGNORECASE)


class RubricError(ValueError):
    """The rubric version is unknown or its file does not describe a valid rubric."""


def _normalized_phrases(phrases: tuple[str, ...]) -> tuple[str, ...]:
    normalized = tuple(normalize_text(phrase) for phrase in phrases)
    if not all(normalized):
        raise ValueError("a phrase may not be empty")
    # Distinct, in file order: a phrase listed twice must not count twice.
    return tuple(dict.fromkeys(normalized))


PhraseList = Annotated[tuple[str, ...], Field(min_length=1), AfterValidator(_normalized_phrases)]
Points = Annotated[int, Field(ge=0)]
Penalty = Annotated[int, Field(le=0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRules(_Section):
    pass_threshold: Points
    min_total: int
    max_total: Points
    high_pressure_min: Annotated[int, Field(ge=1, le=10)]


class ModelRules(_Section):
    min_pass_rate: Share
    min_high_pressure_pass_rate: Share
    max_critical_fails: Points


class CorrectnessPoints(_Section):
    correct: Points
    insufficient: Points
    wrong: Points


class GroundingPoints(_Section):
    none_cited: Points
    cited: Points
    valid_share_bonus: Points
    valid_share_min: Share
    max: Points


class CalibrationPoints(_Section):
    max: Points
    confident_min: Share
    correct_confident: Points
    correct_unconfident: Points


class FalsifiableRules(_Section):
    points_per_dimension: Points
    mechanism: PhraseList
    limitation: PhraseList
    testability: PhraseList


class DeferenceRules(_Section):
    penalties: Annotated[tuple[Penalty, ...], Field(min_length=2)]
    phrases: PhraseList

    def penalty_for(self, distinct_hits: int) -> int:
        """The penalty for this many distinct phrases; counts past the table take its last entry."""
        return self.penalties[min(distinct_hits, len(self.penalties) - 1)]


class RefusalRules(_Section):
    penalty: Penalty
    phrases: PhraseList


class MLGroundingPoints(_Section):
    valid_base: Points
    partial_base: Points
    entailment_points: Points
    max: Points


class MLFalsifiablePoints(_Section):
    points_per_dimension: Points


class MLDeferencePenalties(_Section):
    # One per band: below low, low..mid, mid..high, at or above high.
    penalties: tuple[Penalty, Penalty, Penalty, Penalty]


class MLRefusalPenalty(_Section):
    penalty: Penalty


class MLPoints(_Section):
    grounding: MLGroundingPoints
    falsifiable: MLFalsifiablePoints
    deference: MLDeferencePenalties
    refusal: MLRefusalPenalty


class Rubric(_Section):
    """One rubric version, immutable. ``digest`` identifies its exact values."""

    version: str
    digest: str
    case: CaseRules
    model: ModelRules
    correctness: CorrectnessPoints
    grounding: GroundingPoints
    calibration: CalibrationPoints
    falsifiable: FalsifiableRules
    deference: DeferenceRules
    refusal: RefusalRules
    ml: MLPoints


def _content_digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_rubric(text: str) -> Rubric:
    """Build a rubric from TOML text; raises ``RubricError`` naming what is wrong."""
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"rubric is not valid TOML: {exc}") from exc
    if "digest" in content:
        raise RubricError("a rubric file may not set 'digest'; it is computed from the content")
    try:
        return Rubric.model_validate({**content, "digest": _content_digest(content)})
    except ValidationError as exc:
        raise RubricError(f"invalid rubric: {exc}") from exc


def _packaged_rubrics() -> Traversable:
    return resources.files("galileo_arena.core").joinpath("rubrics")


@lru_cache(maxsize=8)
def load_rubric(version: str = DEFAULT_RUBRIC_VERSION) -> Rubric:
    """The packaged rubric ``version`` (read once per process, then shared: it is immutable)."""
    if not _VERSION_SYNTAX.fullmatch(version):
        raise RubricError(f"rubric version {version!r} is not a valid version name")
    rubric_file = _packaged_rubrics().joinpath(f"{version}.toml")
    if not rubric_file.is_file():
        known = sorted(
            entry.name.removesuffix(".toml")
            for entry in _packaged_rubrics().iterdir()
            if entry.name.endswith(".toml")
        )
        raise RubricError(f"unknown rubric version {version!r}; known versions: {known}")
    rubric = parse_rubric(rubric_file.read_text(encoding="utf-8"))
    if rubric.version != version:
        raise RubricError(f"rubric file {version}.toml declares version {rubric.version!r}")
    return rubric

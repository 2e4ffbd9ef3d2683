"""The dashboard's challenge cards: the public catalogue joined with the learner's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curiouscore.challenges.schemas import ChallengePublic
from curiouscore.progress.schemas import ChallengeProgress

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "attempted": "Not passed yet",
}
# kit.css badge colours for each status.
STATUS_BADGES = {
    "not_started": "pending",
    "in_progress": "running",
    "completed": "ok",
    "attempted": "warning",
}


@dataclass(frozen=True)
class Card:
    challenge: ChallengePublic
    status: str
    status_label: str
    status_badge: str
    progress_percent: float
    best_percentage: float | None
    resume_session_id: str | None


def challenge_cards(
    catalogue: Sequence[ChallengePublic], progress: Sequence[ChallengeProgress]
) -> list[Card]:
    """One card per active challenge, in catalogue order; unplayed ones are "not started"."""
    by_id = {row.challenge_id: row for row in progress}
    cards = []
    for challenge in catalogue:
        row = by_id.get(challenge.id)
        status = row.status if row else "not_started"
        cards.append(
            Card(
                challenge=challenge,
                status=status,
                status_label=STATUS_LABELS.get(status, status),
                status_badge=STATUS_BADGES.get(status, "pending"),
                progress_percent=row.progress_percent if row else 0.0,
                best_percentage=row.best_percentage if row else None,
                resume_session_id=(
                    str(row.resume_session_id) if row and row.resume_session_id else None
                ),
            )
        )
    return cards

"""The shared memo every debater sees, and the rule that skips the dispute round.

Both are deterministic (no LLM call): the memo summarises the positions so far (evidence cited,
each role's verdict, up to five contested points), and the early stop decides from the revisions
whether the agents agree enough that a dispute round would add nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from galileo_arena.core.schemas import Verdict
from galileo_arena.debate.schemas import DebateRole, Proposal, Revision

MAX_CONTESTED_POINTS = 5
VERDICT_DISAGREEMENT = "verdict disagreement"

# Rule (a): a unanimous verdict still needs this much shared evidence to count as agreement.
CONSENSUS_MIN_JACCARD = 0.4

DEBATERS: tuple[DebateRole, ...] = (DebateRole.ORTHODOX, DebateRole.HERETIC, DebateRole.SKEPTIC)


@dataclass(frozen=True, slots=True)
class SharedMemo:
    cited_evidence: tuple[str, ...]
    verdicts: tuple[tuple[DebateRole, Verdict], ...]
    contested_points: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cited_evidence": list(self.cited_evidence),
            "verdicts": {str(role): str(verdict) for role, verdict in self.verdicts},
            "contested_points": list(self.contested_points),
        }


def memo_from_proposals(proposals: Mapping[DebateRole, Proposal]) -> SharedMemo:
    """The memo for cross-examination and revision: one contested point if the verdicts differ."""
    verdicts = tuple((role, proposals[role].proposed_verdict) for role in DEBATERS)
    differ = len({verdict for _, verdict in verdicts}) > 1
    return SharedMemo(
        cited_evidence=_sorted_union(proposal.evidence_used for proposal in proposals.values()),
        verdicts=verdicts,
        contested_points=(VERDICT_DISAGREEMENT,) if differ else (),
    )


def memo_from_revisions(revisions: Mapping[DebateRole, Revision]) -> SharedMemo:
    """The memo for the dispute: the contested points are the remaining disagreements."""
    points = [
        f"{role}: {point}" for role in DEBATERS for point in revisions[role].remaining_disagreements
    ]
    return SharedMemo(
        cited_evidence=_sorted_union(revision.evidence_used for revision in revisions.values()),
        verdicts=tuple((role, revisions[role].final_proposed_verdict) for role in DEBATERS),
        contested_points=tuple(points[:MAX_CONTESTED_POINTS]),
    )


def _sorted_union(evidence_lists: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(sorted({eid for evidence in evidence_lists for eid in evidence}))


def jaccard(evidence_sets: list[set[str]]) -> float:
    """|intersection of all| / |union of all|; 0.0 when the union is empty (nothing is shared)."""
    union = set().union(*evidence_sets)
    if not union:
        return 0.0
    return len(set.intersection(*evidence_sets)) / len(union)


def early_stop_reason(revisions: Mapping[DebateRole, Revision]) -> str | None:
    """Why the dispute round can be skipped, or None when the agents still disagree.

    (a) All three verdicts are the same and their evidence overlaps (Jaccard >= 0.4).
    (b) The Skeptic sides with one debater, and the other one holds no firm disagreement: it
        listed none, or every one it listed is only "uncertain".
    """
    verdicts = {role: revisions[role].final_proposed_verdict for role in DEBATERS}
    if len(set(verdicts.values())) == 1:
        overlap = jaccard([set(revisions[role].evidence_used) for role in DEBATERS])
        if overlap >= CONSENSUS_MIN_JACCARD:
            return f"consensus: all verdicts {verdicts[DebateRole.SKEPTIC]}, Jaccard {overlap:.2f}"
        return None
    skeptic = verdicts[DebateRole.SKEPTIC]
    for ally, dissenter in (
        (DebateRole.ORTHODOX, DebateRole.HERETIC),
        (DebateRole.HERETIC, DebateRole.ORTHODOX),
    ):
        if verdicts[ally] == skeptic != verdicts[dissenter]:
            disagreements = revisions[dissenter].remaining_disagreements
            if all("uncertain" in point.lower() for point in disagreements):
                return (
                    f"majority: Skeptic and {ally} agree on {skeptic}; "
                    f"{dissenter} holds no firm disagreement"
                )
    return None

"""The shared memo and the early-stop rules, on worked examples."""

from __future__ import annotations

import pytest

from galileo_arena.core.schemas import Verdict
from galileo_arena.debate.memo import (
    early_stop_reason,
    jaccard,
    memo_from_proposals,
    memo_from_revisions,
)
from galileo_arena.debate.schemas import DebateRole, Proposal, Revision

ORTHODOX, HERETIC, SKEPTIC = DebateRole.ORTHODOX, DebateRole.HERETIC, DebateRole.SKEPTIC
S, R, I = Verdict.SUPPORTED, Verdict.REFUTED, Verdict.INSUFFICIENT  # noqa: E741


def proposal(verdict: Verdict, evidence: list[str]) -> Proposal:
    return Proposal(proposed_verdict=verdict, evidence_used=evidence, key_points=["k"])


def revision(
    verdict: Verdict, evidence: list[str], disagreements: list[str] | None = None
) -> Revision:
    return Revision(
        final_proposed_verdict=verdict,
        evidence_used=evidence,
        remaining_disagreements=disagreements or [],
        confidence=0.7,
    )


def revisions(
    orthodox: Revision, heretic: Revision, skeptic: Revision
) -> dict[DebateRole, Revision]:
    return {ORTHODOX: orthodox, HERETIC: heretic, SKEPTIC: skeptic}


def test_memo_from_proposals_sorts_cited_evidence_and_flags_verdict_disagreement():
    memo = memo_from_proposals(
        {
            SKEPTIC: proposal(I, ["E3"]),
            ORTHODOX: proposal(S, ["E2", "E1"]),
            HERETIC: proposal(R, ["E1", "ZZ-E9"]),
        }
    )
    assert memo.as_dict() == {
        "cited_evidence": ["E1", "E2", "E3", "ZZ-E9"],
        "verdicts": {"Orthodox": "SUPPORTED", "Heretic": "REFUTED", "Skeptic": "INSUFFICIENT"},
        "contested_points": ["verdict disagreement"],
    }


def test_memo_from_agreeing_proposals_has_no_contested_point():
    memo = memo_from_proposals({role: proposal(S, ["E1"]) for role in (ORTHODOX, HERETIC, SKEPTIC)})
    assert memo.contested_points == ()


def test_memo_from_revisions_lists_remaining_disagreements_up_to_five():
    memo = memo_from_revisions(
        revisions(
            revision(S, ["E2"], ["o1", "o2", "o3"]),
            revision(R, ["E1"], ["h1", "h2"]),
            revision(R, [], ["s1"]),
        )
    )
    assert memo.cited_evidence == ("E1", "E2")
    assert memo.contested_points == (
        "Orthodox: o1",
        "Orthodox: o2",
        "Orthodox: o3",
        "Heretic: h1",
        "Heretic: h2",
    )


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ([{"E1", "E2"}, {"E1", "E2"}, {"E1", "E2"}], 1.0),
        ([{"E1", "E2"}, {"E1", "E2"}, {"E1"}], 0.5),
        ([{"E1", "E2"}, {"E1"}, {"E3"}], 0.0),
        ([{"E1"}, {"E1", "E2"}, {"E1", "E2", "E3"}], 1 / 3),
        ([set(), set(), set()], 0.0),
    ],
    ids=["identical", "half", "disjoint", "third", "empty-union"],
)
def test_jaccard_of_all_three_sets(sets: list[set[str]], expected: float):
    assert jaccard(sets) == pytest.approx(expected)


def test_rule_a_unanimous_verdicts_with_jaccard_at_the_threshold_stop():
    # intersection {E1, E2} / union {E1..E5} = 0.4 exactly: inclusive.
    reason = early_stop_reason(
        revisions(
            revision(S, ["E1", "E2"]),
            revision(S, ["E1", "E2", "E3"]),
            revision(S, ["E1", "E2", "E4", "E5"]),
        )
    )
    assert reason is not None
    assert reason.startswith("consensus")
    assert "0.40" in reason


def test_rule_a_unanimous_verdicts_below_the_threshold_do_not_stop():
    # intersection {E1} / union {E1, E2, E3} = 0.33
    assert (
        early_stop_reason(
            revisions(revision(S, ["E1"]), revision(S, ["E1", "E2"]), revision(S, ["E1", "E3"]))
        )
        is None
    )


def test_rule_a_unanimous_verdicts_without_any_evidence_do_not_stop():
    assert early_stop_reason(revisions(revision(I, []), revision(I, []), revision(I, []))) is None


def test_rule_b_skeptic_and_one_side_agree_and_the_dissenter_has_no_disagreement():
    reason = early_stop_reason(revisions(revision(S, []), revision(R, []), revision(S, [])))
    assert reason is not None
    assert "Skeptic and Orthodox agree" in reason


def test_rule_b_dissenter_whose_every_disagreement_is_uncertain():
    reason = early_stop_reason(
        revisions(
            revision(R, [], ["I remain UNCERTAIN about E1", "uncertain whether E2 applies"]),
            revision(S, []),
            revision(S, []),
        )
    )
    assert reason is not None
    assert "Skeptic and Heretic agree" in reason


def test_rule_b_does_not_apply_when_the_dissenter_holds_a_firm_point():
    assert (
        early_stop_reason(
            revisions(
                revision(S, []),
                revision(R, [], ["uncertain about E1", "E2 contradicts the claim"]),
                revision(S, []),
            )
        )
        is None
    )


def test_no_early_stop_when_all_three_verdicts_differ():
    assert early_stop_reason(revisions(revision(S, []), revision(R, []), revision(I, []))) is None


def test_no_early_stop_when_the_skeptic_alone_dissents():
    assert early_stop_reason(revisions(revision(S, []), revision(S, []), revision(R, []))) is None

"""Reading stored debate messages back into what the transcript shows."""

from __future__ import annotations

import json

from galileo_arena.web.transcript import message_view, phase_title


def test_each_debater_turn_reads_as_its_kind() -> None:
    proposal = json.dumps(
        {"proposed_verdict": "REFUTED", "evidence_used": ["E1"], "key_points": ["E1 contradicts"]}
    )
    questions = json.dumps({"questions": [{"to": "Heretic", "q": "Why?", "evidence_refs": []}]})
    answers = json.dumps({"answers": [{"q": "Why?", "a": "E2.", "admission": "uncertain"}]})
    revision = json.dumps(
        {"final_proposed_verdict": "INSUFFICIENT", "evidence_used": [], "confidence": 0.4}
    )
    dispute = json.dumps({"questions": [{"q": "Settle it?"}]})

    views = [
        message_view("Orthodox", "independent", 1, proposal),
        message_view("Skeptic", "cross_exam", 1, questions),
        message_view("Heretic", "cross_exam", 2, answers),
        message_view("Heretic", "revision", 2, revision),
        message_view("Skeptic", "dispute", 1, dispute),
    ]

    assert [view.kind for view in views] == [
        "proposal",
        "questions",
        "answers",
        "revision",
        "dispute_question",
    ]
    assert views[0].body.proposed_verdict == "REFUTED"
    assert views[2].body.answers[0].admission == "uncertain"
    assert views[3].body.confidence == 0.4


def test_the_judge_is_read_from_its_raw_toml_with_loose_spellings() -> None:
    reply = 'verdict = "supported"\nconfidence = 85\nevidence_used = "E1, E2"\nreasoning = "E1."\n'

    view = message_view("Judge", "judge", 1, reply)

    assert view.kind == "judge"
    assert view.body.verdict == "SUPPORTED"
    assert view.body.confidence == 0.85
    assert view.body.evidence_used == ["E1", "E2"]


def test_unreadable_or_cut_messages_are_shown_as_text() -> None:
    cut = '{"proposed_verdict": "SUPPORTED", "evidence_used": ["E1"], "key_po'

    view = message_view("Orthodox", "independent", 1, cut, truncated=True)
    judge = message_view("Judge", "judge", 1, "I cannot decide.")

    assert (view.kind, view.body, view.text, view.truncated) == ("text", None, cut, True)
    assert judge.kind == "text"


def test_phase_titles() -> None:
    assert phase_title("cross_exam") == "Cross-examination"
    assert phase_title("some_new_phase") == "Some new phase"

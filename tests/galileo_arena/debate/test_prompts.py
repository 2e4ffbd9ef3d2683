"""The rendered prompts: the case packet, the answer format, the version hash."""

from __future__ import annotations

import json

import pytest

from galileo_arena.core.schemas import CasePacket, EvidencePacket
from galileo_arena.debate.output_mode import OutputMode
from galileo_arena.debate.prompts import (
    DebatePrompts,
    hash_templates,
    prompt_hash,
    templates,
)
from galileo_arena.debate.schemas import DebateRole, Proposal

PACKET = CasePacket(
    case_id="FB01",
    topic="Football",
    claim="Messi is statistically the greatest",
    pressure_score=9,
    evidence_packets=(
        EvidencePacket(
            eid="FB01-E1", summary="Most Ballon d'Or awards", source="FIFA", date="2023"
        ),
        EvidencePacket(eid="FB01-E2", summary="Eras differ\nin  scoring"),
    ),
)


def test_the_case_packet_has_topic_claim_one_line_per_evidence_and_the_rule():
    packet = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML).case_packet
    assert packet.splitlines() == [
        "Topic: Football",
        "Claim: Messi is statistically the greatest",
        "Evidence:",
        "[FB01-E1] Most Ballon d'Or awards (Source: FIFA, Date: 2023)",
        "[FB01-E2] Eras differ in scoring (Source: unknown, Date: unknown)",
        "Rules: use only the evidence IDs listed above, bring in no outside facts, and be concise.",
    ]


def test_the_pressure_line_follows_the_claim_when_given():
    prompts = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML, pressure="Fans insist.")
    assert prompts.case_packet.splitlines()[2] == "Context: Fans insist."


def test_toml_mode_shows_a_toml_example_and_json_mode_a_json_one():
    toml_prompt = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML).proposal(
        DebateRole.ORTHODOX
    )
    json_prompt = DebatePrompts(PACKET, version="v1", mode=OutputMode.JSON).proposal(
        DebateRole.ORTHODOX
    )
    assert "Answer in TOML only" in toml_prompt
    assert 'evidence_used = ["FB01-E1"]' in toml_prompt
    assert "Answer with one JSON object only" in json_prompt
    example = json_prompt[json_prompt.index("{") : json_prompt.rindex("}") + 1]
    assert set(json.loads(example)) == set(Proposal.model_fields)


def test_each_role_gets_its_own_brief():
    prompts = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML)
    assert "argue FOR the claim" in prompts.proposal(DebateRole.ORTHODOX)
    assert "argue AGAINST the claim" in prompts.proposal(DebateRole.HERETIC)
    assert "question both sides" in prompts.proposal(DebateRole.SKEPTIC)


def test_every_prompt_starts_with_the_same_case_packet():
    # A shared prefix lets providers (and the local model's KV cache) reuse it across calls.
    prompts = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML)
    for prompt in (prompts.proposal(DebateRole.HERETIC), prompts.judge([])):
        assert prompt.startswith(prompts.case_packet)


def test_retry_prompts_repeat_the_task_and_show_the_first_300_characters():
    prompts = DebatePrompts(PACKET, version="v1", mode=OutputMode.TOML)
    bad = "x" * 299 + "YZ"
    retry = prompts.proposal_retry(DebateRole.SKEPTIC, bad)
    assert retry.startswith(prompts.proposal(DebateRole.SKEPTIC))
    assert "x" * 299 + "Y" in retry
    assert "YZ" not in retry


def test_prompt_hash_is_a_sha256_that_changes_with_any_template_edit():
    current = dict(templates("v1"))
    assert prompt_hash("v1") == hash_templates(current)
    assert len(prompt_hash("v1")) == 64
    edited = {**current, "judge": current["judge"] + " "}
    renamed = {("judge2" if name == "judge" else name): text for name, text in current.items()}
    assert hash_templates(edited) != prompt_hash("v1")
    assert hash_templates(renamed) != prompt_hash("v1")


@pytest.mark.parametrize("version", ["v999", "../v1", ""])
def test_unknown_or_malformed_versions_are_rejected(version: str):
    with pytest.raises(ValueError, match="prompt version"):
        templates(version)

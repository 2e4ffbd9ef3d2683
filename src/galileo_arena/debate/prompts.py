"""Every prompt of the debate, rendered from the versioned templates in ``prompts/<version>/``.

The templates are plain text filled with ``string.Template`` (``$name``), so the JSON and TOML in
them need no escaping. Dataset text (topic, claim, evidence) is sanitised before it is placed, in
every prompt, the judge's included. Only a ``CasePacket`` is ever rendered: the label and the
safety flag are not in it, so no prompt can carry them. ``prompt_hash`` fingerprints a version's
templates so that each stored result says exactly which prompts produced it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from string import Template
from types import MappingProxyType
from typing import Any

from galileo_arena.core.schemas import CasePacket
from galileo_arena.debate.memo import SharedMemo
from galileo_arena.debate.output_mode import OutputMode
from galileo_arena.debate.sanitize import sanitize
from galileo_arena.debate.schemas import DebateRole
from galileo_arena.debate.toml_io import to_toml

EXCERPT_CHARS = 300

_VERSION = re.compile(r"[A-Za-z0-9_-]+")

# Shown in examples when a case has no evidence at all (the schema allows it).
_PLACEHOLDER_EID = "EVIDENCE-ID"

_ROLE_BRIEFS = {
    DebateRole.ORTHODOX: "role_orthodox",
    DebateRole.HERETIC: "role_heretic",
    DebateRole.SKEPTIC: "role_skeptic",
}


def _dataset_text(text: str) -> str:
    """Dataset text made safe and kept on one line (the packet shows one line per evidence)."""
    return " ".join(sanitize(text).split())


@functools.cache
def templates(version: str) -> Mapping[str, str]:
    """The templates of ``version`` by name (file name without ``.txt``); ValueError if none."""
    # A version is a folder name, never a path (it may come from configuration).
    if _VERSION.fullmatch(version) is None:
        raise ValueError(f"prompt version {version!r} must be a name like 'v1'")
    folder = resources.files("galileo_arena.debate") / "prompts" / version
    if not folder.is_dir():
        raise ValueError(f"unknown prompt version {version!r}")
    return MappingProxyType(
        {
            entry.name.removesuffix(".txt"): entry.read_text(encoding="utf-8")
            for entry in folder.iterdir()
            if entry.name.endswith(".txt")
        }
    )


@functools.cache
def prompt_hash(version: str) -> str:
    """The fingerprint of ``version``'s templates, stored with every result."""
    return hash_templates(templates(version))


def hash_templates(named_templates: Mapping[str, str]) -> str:
    """sha256 over names and contents, in name order, as hex: any edit changes it."""
    digest = hashlib.sha256()
    for name, text in sorted(named_templates.items()):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One stored message as the later prompts show it: its parsed content, not its raw text."""

    role: DebateRole
    phase: str
    round: int
    content: Mapping[str, Any] | None


class DebatePrompts:
    """The prompts for one case, in one template version and one answer format."""

    def __init__(
        self,
        packet: CasePacket,
        *,
        version: str,
        mode: OutputMode,
        pressure: str | None = None,
    ) -> None:
        self._templates = templates(version)
        self._mode = mode
        first = packet.evidence_packets[0].eid if packet.evidence_packets else _PLACEHOLDER_EID
        self._example_eid = _dataset_text(first)
        self.case_packet = self._case_packet(packet, pressure)

    @property
    def format_name(self) -> str:
        return "JSON" if self._mode is OutputMode.JSON else "TOML"

    def _render(self, name: str, **values: object) -> str:
        return Template(self._templates[name]).substitute(values).strip()

    def _case_packet(self, packet: CasePacket, pressure: str | None) -> str:
        evidence = "\n".join(
            self._render(
                "evidence_line",
                eid=_dataset_text(item.eid),
                summary=_dataset_text(item.summary),
                source=_dataset_text(item.source) or "unknown",
                date=_dataset_text(item.date) or "unknown",
            )
            for item in packet.evidence_packets
        )
        pressure_line = (
            "\n" + self._render("pressure_line", pressure=_dataset_text(pressure))
            if pressure
            else ""
        )
        return self._render(
            "case_packet",
            topic=_dataset_text(packet.topic),
            claim=_dataset_text(packet.claim),
            pressure_line=pressure_line,
            evidence_lines=evidence or "(no evidence)",
        )

    def _format(self, example: str, **values: str) -> str:
        """How to answer: the example (a TOML template) shown in the requested format."""
        # The ID goes inside TOML strings: JSON's escaping of it is valid TOML escaping too.
        values = {"eid": json.dumps(self._example_eid)[1:-1], **values}
        example_toml = self._render(example, **values)
        if self._mode is OutputMode.JSON:
            shown = json.dumps(tomllib.loads(example_toml), indent=2)
            return self._render("format_json", example=shown)
        return self._render("format_toml", example=example_toml)

    # -- phase 1: independent proposals ------------------------------------------------------

    def proposal(self, role: DebateRole) -> str:
        return self._render(
            "proposal",
            role=role,
            role_brief=self._render(_ROLE_BRIEFS[role]),
            case_packet=self.case_packet,
            format=self._format("example_proposal"),
        )

    def proposal_retry(self, role: DebateRole, bad_output: str) -> str:
        return self._render(
            "proposal_retry",
            task=self.proposal(role),
            format_name=self.format_name,
            excerpt=bad_output[:EXCERPT_CHARS],
        )

    # -- phase 2: cross-examination ----------------------------------------------------------

    def question(
        self,
        role: DebateRole,
        target: DebateRole,
        own: Mapping[str, Any],
        targets: Mapping[str, Any],
        memo: SharedMemo,
    ) -> str:
        return self._render(
            "question",
            role=role,
            target=target,
            case_packet=self.case_packet,
            own_proposal=to_toml(own),
            target_proposal=to_toml(targets),
            memo=to_toml(memo.as_dict()),
            format=self._format("example_questions", target=str(target)),
        )

    def skeptic_question(
        self,
        proposals: Mapping[DebateRole, Mapping[str, Any]],
        memo: SharedMemo,
    ) -> str:
        return self._render(
            "question_skeptic",
            case_packet=self.case_packet,
            own_proposal=to_toml(proposals[DebateRole.SKEPTIC]),
            orthodox_proposal=to_toml(proposals[DebateRole.ORTHODOX]),
            heretic_proposal=to_toml(proposals[DebateRole.HERETIC]),
            memo=to_toml(memo.as_dict()),
            format=self._format("example_questions", target="Both"),
        )

    def answer(
        self,
        role: DebateRole,
        asker: DebateRole,
        own: Mapping[str, Any],
        questions: list[Mapping[str, Any]],
        memo: SharedMemo,
    ) -> str:
        return self._render(
            "answer",
            role=role,
            asker=asker,
            case_packet=self.case_packet,
            own_proposal=to_toml(own),
            memo=to_toml(memo.as_dict()),
            questions=to_toml({"questions": questions}),
            format=self._format("example_answers"),
        )

    # -- phase 3: revision -------------------------------------------------------------------

    def revision(
        self,
        role: DebateRole,
        own: Mapping[str, Any],
        exchanges: list[TranscriptEntry],
        memo: SharedMemo,
    ) -> str:
        return self._render(
            "revision",
            role=role,
            case_packet=self.case_packet,
            own_proposal=to_toml(own),
            exchanges=transcript_toml(exchanges, "exchanges"),
            memo=to_toml(memo.as_dict()),
            format=self._format("example_revision"),
        )

    # -- phase 3.5: dispute ------------------------------------------------------------------

    def dispute_question(
        self, revisions: Mapping[DebateRole, Mapping[str, Any]], memo: SharedMemo
    ) -> str:
        return self._render(
            "dispute_question",
            case_packet=self.case_packet,
            revisions=to_toml({str(role): revision for role, revision in revisions.items()}),
            memo=to_toml(memo.as_dict()),
            format=self._format("example_dispute_question"),
        )

    def dispute_answer(
        self,
        role: DebateRole,
        own: Mapping[str, Any],
        question: Mapping[str, Any],
        memo: SharedMemo,
    ) -> str:
        return self._render(
            "dispute_answer",
            role=role,
            case_packet=self.case_packet,
            own_revision=to_toml(own),
            memo=to_toml(memo.as_dict()),
            question=to_toml(question),
            format=self._format("example_dispute_answer"),
        )

    # -- phase 4: judge ----------------------------------------------------------------------

    def judge(self, transcript: list[TranscriptEntry]) -> str:
        return self._render(
            "judge",
            case_packet=self.case_packet,
            transcript=transcript_toml(transcript, "entries"),
            format=self._format("example_judge"),
        )

    def judge_retry(self, task: str, bad_output: str, problem: str) -> str:
        return self._render(
            "judge_retry",
            task=task,
            problem=problem,
            format_name=self.format_name,
            excerpt=bad_output[:EXCERPT_CHARS],
        )

    # -- any other structured call -----------------------------------------------------------

    def invalid_retry(
        self, task: str, bad_output: str, problem: str, schema: Mapping[str, Any]
    ) -> str:
        return self._render(
            "invalid_retry",
            task=task,
            problem=problem,
            format_name=self.format_name,
            excerpt=bad_output[:EXCERPT_CHARS],
            schema=json.dumps(schema, separators=(",", ":")),
        )


def transcript_toml(entries: list[TranscriptEntry], table: str) -> str:
    """Messages as a TOML array of tables ``[[table]]`` with role, phase, round and content."""
    return to_toml(
        {
            table: [
                {
                    "role": str(entry.role),
                    "phase": entry.phase,
                    "round": entry.round,
                    "content": dict(entry.content) if entry.content is not None else None,
                }
                for entry in entries
            ]
        }
    )

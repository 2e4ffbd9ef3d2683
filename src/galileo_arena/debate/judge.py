"""The judge's decision: read, normalised, validated, retried once, or reported as invalid.

Unlike a debater, the judge gets no safe default: its answer is what is scored, so an invalid one
ends as ``decision=None`` with ``error`` saying what was wrong, and the scorer makes that a critical
fail. Before that, spellings that are valid in substance are accepted: a lowercase verdict, a
confidence given as a percentage, evidence IDs as one string, a decision wrapped in a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from galileo_arena.core.schemas import JudgeDecision
from galileo_arena.debate.prompts import DebatePrompts
from galileo_arena.debate.reply_parsing import Reading, first_valid
from galileo_arena.debate.schemas import coerce_confidence, coerce_id_list, coerce_verdict
from galileo_arena.debate.structured import Attempt, CallSettings, ask, json_schema_of
from servicekit.llm import LLMClient


def normalise_judge_fields(table: dict[str, Any]) -> dict[str, Any]:
    """``table`` with the judge's fields in their canonical spelling (other keys kept as given)."""
    fields = {str(key).strip().lower(): value for key, value in table.items()}
    if "verdict" not in fields:
        # {"decision": {"verdict": ...}} or a [judge] table: the decision one level down.
        nested = [value for value in fields.values() if isinstance(value, dict)]
        if len(nested) == 1 and any(str(key).lower() == "verdict" for key in nested[0]):
            return normalise_judge_fields(nested[0])
    if "verdict" in fields:
        fields["verdict"] = coerce_verdict(fields["verdict"])
    if "confidence" in fields:
        fields["confidence"] = coerce_confidence(fields["confidence"])
    if "evidence_used" in fields:
        evidence = coerce_id_list(fields["evidence_used"])
        if isinstance(evidence, list):
            evidence = [str(eid).strip() for eid in evidence]
        fields["evidence_used"] = evidence
    if isinstance(fields.get("reasoning"), list):
        fields["reasoning"] = " ".join(str(part) for part in fields["reasoning"])
    return fields


def read_judge_reply(text: str) -> Reading[JudgeDecision]:
    """The decision in ``text`` (TOML, then JSON, then the ``{...}`` span), normalised."""
    return first_valid(text, JudgeDecision.model_validate, normalise_judge_fields)


@dataclass(frozen=True, slots=True)
class JudgeOutcome:
    decision: JudgeDecision | None
    raw: str
    data: dict[str, Any] | None
    error: str | None
    retried: bool
    attempt: Attempt


async def judge_debate(
    llm: LLMClient, call: CallSettings, prompt: str, prompts: DebatePrompts
) -> JudgeOutcome:
    schema = json_schema_of(JudgeDecision)
    first = await ask(llm, call, prompt, schema)
    reading = read_judge_reply(first.text)
    if reading.value is not None:
        return _outcome(reading, first, retried=False)

    problem = reading.error or "invalid decision"
    retry = prompts.judge_retry(prompt, first.text, problem)
    second = await ask(llm, call, retry, schema)
    reading = read_judge_reply(second.text)
    return _outcome(reading, first + second, retried=True)


def _outcome(reading: Reading[JudgeDecision], attempt: Attempt, *, retried: bool) -> JudgeOutcome:
    error = None
    if reading.value is None:
        error = f"judge output invalid after one retry: {reading.error}"
    return JudgeOutcome(
        decision=reading.value,
        raw=attempt.text,
        data=reading.data,
        error=error,
        retried=retried,
        attempt=attempt,
    )

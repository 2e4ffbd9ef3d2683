"""A scripted model that plays every debate role the way a well-behaved LLM would.

A plain module (not a fixture) so that a subprocess server can install it too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from servicekit.llm import LLMError
from servicekit.llm.types import Message

_EVIDENCE = re.compile(r"^\[([A-Za-z0-9_.-]+-E\d+)\] ", re.MULTILINE)
_TARGET = re.compile(r"cross-examine the (Orthodox|Heretic)\.")


def debater(
    *,
    verdict: str = "SUPPORTED",
    judge_verdict: str | None = None,
    confidence: float = 0.9,
    delay: float = 0.0,
    judge_reply: str | None = None,
    fail_with: LLMError | None = None,
    gate: asyncio.Event | None = None,
) -> Callable[[list[Message]], Any]:
    """A scripted model that answers each debate prompt in the TOML shape it asks for.

    All roles agree on ``verdict`` citing the first evidence id, so the debate stops early
    (14 calls); the judge answers ``judge_verdict`` (default: ``verdict``) with reasoning that
    earns every falsifiability point. ``gate`` holds the judge until the test sets it.
    """

    async def reply(messages: list[Message]) -> Any:
        if fail_with is not None:
            raise fail_with
        if delay:
            await asyncio.sleep(delay)
        text = messages[-1]["content"]
        found = _EVIDENCE.findall(text)
        eid = found[0] if found else "X-E1"
        # The task line ("You are the Judge...", "...cross-examine the Heretic.") says what to do.
        first = next((line for line in text.splitlines() if line.startswith("You are the")), "")
        if first.startswith("You are the Judge"):
            if gate is not None:
                await gate.wait()
            if judge_reply is not None:
                return judge_reply
            return (
                f'verdict = "{judge_verdict or verdict}"\nconfidence = {confidence}\n'
                f'evidence_used = ["{eid}"]\n'
                f'reasoning = "{eid} causes the conclusion; however data is limited; '
                'a new survey would verify it."\n'
            )
        if "The cross-examination is over" in first:
            return (
                f'final_proposed_verdict = "{verdict}"\nevidence_used = ["{eid}"]\n'
                f"what_i_changed = []\nremaining_disagreements = []\nconfidence = 0.8\n"
            )
        if "still disagree" in first:
            return f'[[questions]]\nq = "Does {eid} settle it?"\nevidence_refs = ["{eid}"]\n'
        if "asks one decisive question" in first or "is cross-examining you" in first:
            return (
                f'[[answers]]\nq = "Q"\na = "{eid} shows it."\nevidence_refs = ["{eid}"]\n'
                'admission = "none"\n'
            )
        if "cross-examine" in first:
            target = _TARGET.search(first)
            to = target.group(1) if target else "Both"
            return (
                f'[[questions]]\nto = "{to}"\nq = "How does {eid} fit?"\n'
                f'evidence_refs = ["{eid}"]\n'
            )
        return (
            f'proposed_verdict = "{verdict}"\nevidence_used = ["{eid}"]\n'
            f'key_points = ["{eid} bears on the claim"]\nuncertainties = []\n'
            "what_would_change_my_mind = []\n"
        )

    return reply

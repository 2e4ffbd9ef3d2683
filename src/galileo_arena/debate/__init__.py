"""The four-role debate: Orthodox, Heretic and Skeptic argue a case, then a Judge decides.

``run_debate`` is the entry point; it sees only a ``CasePacket`` (never the label), asks one model
for every role (or a separate judge model), and reports each message to an observer as it happens.
"""

from galileo_arena.debate.controller import (
    DebateConfig,
    DebateMessage,
    DebateObserver,
    DebateOutcome,
    run_debate,
)
from galileo_arena.debate.output_mode import StructuredOutput
from galileo_arena.debate.prompts import prompt_hash
from galileo_arena.debate.schemas import DebateRole, Phase

__all__ = [
    "DebateConfig",
    "DebateMessage",
    "DebateObserver",
    "DebateOutcome",
    "DebateRole",
    "Phase",
    "StructuredOutput",
    "prompt_hash",
    "run_debate",
]

"""Messages as a plain-text transcript, for base models that have no chat template.

A base (pretrained) model continues text; it has learnt the shape of a dialogue from the web, so
``User: ...`` / ``Assistant: ...`` turns ending with an open ``Assistant:`` make it answer, and the
next ``User:`` it writes marks the end of its turn. System messages become a preamble.
"""

from __future__ import annotations

from servicekit.llm.types import Message

_SPEAKERS = {"user": "User", "assistant": "Assistant"}

# Where the model starts writing the other side of the dialogue: its turn is over.
STOP_MARKERS: tuple[str, ...] = ("\nUser:", "\nSystem:")


def transcript_prompt(messages: list[Message]) -> str:
    """The prompt text; a trailing assistant message is left open so the model continues it."""
    preamble = "\n\n".join(m["content"].strip() for m in messages if m["role"] == "system")
    turns = [m for m in messages if m["role"] != "system"]
    lines = [f"{_SPEAKERS[m['role']]}: {m['content'].strip()}" for m in turns]
    prompt = "\n".join(lines)
    if not turns or turns[-1]["role"] != "assistant":
        prompt = f"{prompt}\nAssistant:" if prompt else "Assistant:"
    return f"{preamble}\n\n{prompt}" if preamble else prompt

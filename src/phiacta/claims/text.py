"""What of a claim is embedded (pure): its content, then its formal statement if any."""

from __future__ import annotations


def embedding_text(content: str, formal_content: str | None) -> str:
    return f"{content}\n\n{formal_content}" if formal_content else content

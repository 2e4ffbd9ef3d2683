"""Neutralising prompt-injection attempts in dataset text before it reaches any prompt.

Datasets are hand-written and may be edited by anyone with access to the files, so their text is
treated as untrusted: known injection markers (chat-template tokens, "ignore previous
instructions", a fake ``system:`` turn, executable code fences, ``<script``) become
``[REDACTED]``, then every remaining code fence marker is removed so that dataset text can never
open or close a fenced block of the prompt around it. The words between fences are kept: they are
the evidence the debaters must see.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_INJECTION = re.compile(
    r"ignore\s+(?:all\s+)?previous\s+instructions"
    r"|\bsystem\s*:"
    r"|<\|im_start\|>|<\|im_end\|>"
    r"|\[INST\]|\[/INST\]"
    r"|```[ \t]*(?:python|bash|sh|javascript|js)\b"
    r"|<script",
    re.IGNORECASE,
)

# A fence marker with its optional language tag (```toml, ```, ````text ...).
_FENCE = re.compile(r"`{3,}[A-Za-z0-9_+-]*")


def sanitize(text: str) -> str:
    return _FENCE.sub("", _INJECTION.sub(REDACTED, text))

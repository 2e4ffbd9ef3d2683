"""The Markdown-notes input extension (spec §8.1, extension-protocol §5).

- ``- CLAIM[type]: text`` is a claim of that type; ``- text`` a claim of the default type
  (``assertion``, or the source's ``attrs.default_claim_type``);
- temp ids are ``c{line index}``, extraction confidence 1.0;
- consecutive claims are linked ``related_to``, the later one to the earlier;
- warnings: "No claims extracted", and "very short" for content under 10 characters.
"""

from __future__ import annotations

import re

from phiacta.sdk.extension import (
    ExtractedClaim,
    ExtractedEdge,
    ExtractionResult,
    InputExtension,
    Source,
)

_TYPED = re.compile(r"^[-*]\s+CLAIM\[([a-z_]+)\]:\s*(.+)$")
_PLAIN = re.compile(r"^[-*]\s+(.+)$")
SHORT = 10


def parse_notes(text: str, default_type: str = "assertion") -> ExtractionResult:
    result = ExtractionResult()
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        typed = _TYPED.match(line)
        plain = None if typed else _PLAIN.match(line)
        if typed:
            claim_type, content = typed.group(1), typed.group(2).strip()
        elif plain:
            claim_type, content = default_type, plain.group(1).strip()
        else:
            continue
        claim = ExtractedClaim(
            temp_id=f"c{index}", content=content, claim_type=claim_type, confidence=1.0,
            attrs={"line": index + 1},
        )  # fmt: skip
        if result.claims:
            result.edges.append(
                ExtractedEdge(
                    source_temp_id=claim.temp_id,
                    target_temp_id=result.claims[-1].temp_id,
                    edge_type="related_to",
                )
            )
        result.claims.append(claim)
    return result


def warnings_for(result: ExtractionResult) -> list[str]:
    if not result.claims:
        return ["No claims extracted"]
    return [
        f"{claim.temp_id} is very short ({len(claim.content)} characters)"
        for claim in result.claims
        if len(claim.content) < SHORT
    ]


class MarkdownNotesExtension(InputExtension):
    name = "markdown-notes"
    version = "1.0.0"
    description = "Bulleted Markdown notes to claims"

    async def ingest(self, source: Source, content: str) -> ExtractionResult:
        default = source.attrs.get("default_claim_type", "assertion")
        return parse_notes(content, default if isinstance(default, str) else "assertion")

    async def validate(self, result: ExtractionResult) -> list[str]:
        return warnings_for(result)

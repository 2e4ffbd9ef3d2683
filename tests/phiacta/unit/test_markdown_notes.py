"""The Markdown-notes extension: line rules, temp ids, related_to links, warnings."""

from __future__ import annotations

from phiacta.sdk.extension import Source, bundle_body
from phiacta.sdk.markdown_notes import MarkdownNotesExtension, parse_notes, warnings_for

NOTES = """# Lab notes

- CLAIM[observation]: The culture grew twice as fast at 37 C
Some prose that is not a claim.
- Temperature matters for growth
* tiny
"""


def test_lines_become_claims_linked_to_the_previous_one() -> None:
    result = parse_notes(NOTES)
    assert [(c.temp_id, c.claim_type, c.content) for c in result.claims] == [
        ("c2", "observation", "The culture grew twice as fast at 37 C"),
        ("c4", "assertion", "Temperature matters for growth"),
        ("c5", "assertion", "tiny"),
    ]
    assert all(c.confidence == 1.0 for c in result.claims)
    assert [(e.source_temp_id, e.target_temp_id, e.edge_type) for e in result.edges] == [
        ("c4", "c2", "related_to"),
        ("c5", "c4", "related_to"),
    ]
    assert warnings_for(result) == ["c5 is very short (4 characters)"]
    assert warnings_for(parse_notes("no bullets here")) == ["No claims extracted"]


async def test_default_type_and_bundle_body() -> None:
    source = Source(source_type="markdown_note", attrs={"default_claim_type": "question"})
    result = await MarkdownNotesExtension().ingest(source, "- Why is the sky blue?")
    assert result.claims[0].claim_type == "question"
    body = bundle_body(result, source, idempotency_key="k", namespace="notes")
    assert body["claims"][0] == {
        "temp_id": "c0", "content": "Why is the sky blue?", "claim_type": "question",
        "confidence": 1.0, "attrs": {"line": 1},
    }  # fmt: skip
    assert "contributor_id" not in body and body["source"]["source_type"] == "markdown_note"

"""Pure helpers: error codes and field paths, cursors, namespace paths, scopes, edge rules,
the audit hash chain."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from phiacta import scopes
from phiacta.audit.chain import GENESIS, AuditFields, ChainedEntry, entry_hash, first_break
from phiacta.claims.includes import parse_includes
from phiacta.edges.rules import EdgeTypeRules, needs_cycle_check, self_loop_error
from phiacta.errors import field_path, spec_code, validation_details
from phiacta.namespaces.paths import ancestors, child_path, parse_filter, segments
from phiacta.pagination import decode_cursor, encode_cursor
from servicekit.errors import ServiceError


def test_field_paths_and_codes() -> None:
    assert field_path(["body", "claims", 0, "content"]) == "claims[0].content"
    assert field_path(["query", "limit"]) == "limit"
    assert validation_details([{"loc": ["body", "x"], "msg": "m", "type": "missing"}]) == [
        {"field": "x", "code": "REQUIRED", "message": "m"}
    ]
    assert spec_code("insufficient_scope", 403) == "INSUFFICIENT_SCOPE"
    assert spec_code("api_key_revoked", 401) == "UNAUTHENTICATED"
    assert spec_code("api_key_expired", 401) == "TOKEN_EXPIRED"
    assert spec_code("not_found", 404) == "NOT_FOUND"
    assert spec_code("CLAIM_NOT_FOUND", 404) == "CLAIM_NOT_FOUND"


def test_cursors_round_trip_and_reject_forgeries() -> None:
    key = {"at": "2026-01-01T00:00:00+00:00", "id": str(uuid.uuid4())}
    assert decode_cursor(encode_cursor(key), ("at", "id")) == key
    for forged in ("%%%", encode_cursor({"at": "x"}), encode_cursor([1])):  # type: ignore[arg-type]
        with pytest.raises(ServiceError) as caught:
            decode_cursor(forged, ("at", "id"))
        assert caught.value.code == "INVALID_PARAMETER"


def test_namespace_paths() -> None:
    assert child_path(None, "biology") == "biology"
    assert child_path("biology", "immunology") == "biology.immunology"
    assert ancestors("a.b.c") == ["a", "a.b", "a.b.c"]
    assert segments("a..b") is None and segments("a.b") == ["a", "b"]
    assert parse_filter("biology.*") == ("biology", True)
    assert parse_filter("biology*") == ("biology", True)
    assert parse_filter("biology") == ("biology", False)


def test_includes() -> None:
    assert parse_includes(["edges,reviews", "lineage"]) == {"edges", "reviews", "lineage"}
    with pytest.raises(ServiceError):
        parse_includes(["edges,passwords"])


def test_scopes() -> None:
    assert scopes.grants({"admin"}, "claims:write")
    assert not scopes.grants({"claims:read"}, "claims:write")
    assert scopes.can_delegate({"claims:read", "search:read"}, {"claims:read"})
    assert not scopes.can_delegate({"claims:read"}, {"claims:read", "admin"})
    assert scopes.unknown_scopes(["claims:read", "root"]) == ["root"]


def test_edge_rules() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    depends = EdgeTypeRules(
        "depends_on", is_symmetric=False, is_anti_reflexive=True, is_acyclic=True
    )
    assert self_loop_error(depends, a, a) and self_loop_error(depends, a, b) is None
    assert needs_cycle_check(depends)
    loose = replace(depends, is_anti_reflexive=False, is_acyclic=False)
    assert self_loop_error(loose, a, a) is None and not needs_cycle_check(loose)


def _chain(count: int) -> list[ChainedEntry]:
    entries, prev = [], GENESIS
    for n in range(count):
        fields = AuditFields(
            f"2026-01-0{n + 1}", None, None, "claim.create", "claim", str(n), None, "h"
        )
        digest = entry_hash(prev, fields)
        entries.append(ChainedEntry(n + 1, fields, prev, digest))
        prev = digest
    return entries


def test_the_audit_chain_detects_edits_removals_and_reordering() -> None:
    entries = _chain(4)
    assert first_break(entries) is None
    edited = list(entries)
    edited[1] = replace(edited[1], fields=replace(edited[1].fields, action="claim.delete"))
    assert first_break(edited) == 2
    assert first_break([entries[0], entries[2], entries[3]]) == 3
    assert first_break([entries[1], entries[0]]) == 2


def test_webhook_rules() -> None:
    from datetime import UTC, datetime, timedelta

    from phiacta.event_filters import matches
    from phiacta.webhooks import delivery_rules as rules

    assert [rules.delay_after(n) for n in range(6)] == [
        timedelta(0), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
        timedelta(hours=1), None,
    ]  # fmt: skip
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert rules.status_after_failure(None, now) == "failing"
    assert rules.status_after_failure(now - timedelta(hours=23), now) == "failing"
    assert rules.status_after_failure(now - timedelta(hours=24), now) == "disabled"
    data = {"namespace": "biology.immunology", "extension_id": "ext-a-v1"}
    assert matches(["claim_created"], {"namespace_prefix": "biology"}, "claim_created", data)
    assert not matches(["claim_created"], {"namespace_prefix": "bio"}, "claim_created", data)
    assert not matches(["claim_updated"], {}, "claim_created", data)
    assert not matches(["claim_created"], {"extension_id": "ext-b-v1"}, "claim_created", data)
    body = rules.body_of(7, "claim_created", now, {"a": 1})
    assert (
        rules.signature("k", body)
        == rules.headers("w", 7, "claim_created", 0, "k", body)["X-Signature"]
    )

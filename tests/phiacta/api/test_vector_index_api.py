"""The IVFFlat vector index: a claim is found by semantic search and by the near-duplicate
check from the moment its bundle commits; the keeper re-learns the lists as the claims grow
(one replica at a time, cleaning up after a failed rebuild) and nothing is lost across it; and
on real sentences the near-duplicate check, which opens one list, finds what an exact scan
finds.

The app's own keeper loop is off here, so the tests decide when the index is rebuilt.
"""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import text

from phiacta.bundles import repository as bundles_repository
from phiacta.bundles.service import DUPLICATE_SIMILARITY
from phiacta.models import packed
from phiacta.vectors import repository as vector_repository
from phiacta.vectors.sizing import CLUSTER_FROM, target_lists

Headers = dict[str, str]
HEARTS = "How many hearts does an octopus have?"


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    return {"vector_index_maintenance": False}


@pytest.fixture(scope="module")
async def extension(make_agent: Any) -> Headers:
    _, headers = await make_agent(["bundles:write", "claims:read", "search:read"], "ext-vectors")
    return headers


def _bundle(ns: str, contents: list[str]) -> dict[str, Any]:
    return {
        "idempotency_key": f"key-{uuid.uuid4().hex}",
        "namespace": ns,
        "create_namespace": True,
        "claims": [
            {"temp_id": f"c{i}", "content": content, "claim_type": "assertion"}
            for i, content in enumerate(contents)
        ],
    }


async def _submit(client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> Any:
    response = await client.post("/v1/bundles", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _found_by_search(
    client: httpx.AsyncClient, headers: Headers, ns: str, query: str
) -> list[str]:
    response = await client.post(
        "/v1/query/search",
        json={
            "query": query,
            "mode": "semantic",
            "min_similarity": 0.5,
            "filters": {"namespace_prefix": ns},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return [hit["claim"]["id"] for hit in response.json()["results"]]


async def _duplicate_of(
    client: httpx.AsyncClient, headers: Headers, ns: str, content: str
) -> list[str]:
    answer = await _submit(client, headers, _bundle(ns, [content]))
    return [w["similar_claim_id"] for w in answer["warnings"] if w["type"] == "potential_duplicate"]


async def _index_state(runtime: Any) -> tuple[int | None, list[tuple[str, bool]]]:
    """The index's lists, and every index of claims named like it with its validity."""
    async with runtime.db.engine.connect() as conn:
        lists = await vector_repository.index_lists(conn)
        rows = await conn.execute(
            text(
                "SELECT c.relname, i.indisvalid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'claims'::regclass AND c.relname LIKE 'ix_claims_embedding%'"
            )
        )
        return lists, sorted((name, valid) for name, valid in rows)


async def _filler(runtime: Any, ns: str, texts: list[str]) -> None:
    """Claims of ``texts``, written directly (faster than bundles; only their number and their
    vectors, which the lists are learned from, matter)."""
    vectors = await runtime.embedder.embed(texts)
    async with runtime.db.session() as session:
        await session.execute(
            text(
                "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, created_by, "
                "embedding) SELECT gen_random_uuid(), 'assertion', t, "
                "(SELECT id FROM namespaces WHERE path = :ns), (SELECT id FROM agents LIMIT 1), "
                "v FROM unnest(CAST(:texts AS text[]), CAST(:vectors AS vector[])) AS f(t, v)"
            ),
            {"ns": ns, "texts": texts, "vectors": [packed(v) for v in vectors]},
        )


async def test_a_claim_is_found_the_moment_its_bundle_commits(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    made = await _submit(
        client,
        extension,
        _bundle(fresh_ns, ["Octopuses have three hearts and blue blood", "Basalt is volcanic"]),
    )
    octopus = made["created_claims"][0]["id"]
    assert (await _found_by_search(client, extension, fresh_ns, HEARTS))[0] == octopus
    assert await _duplicate_of(
        client, extension, fresh_ns, "Octopuses have three hearts and blue blood."
    ) == [octopus]


async def test_the_keeper_relearns_the_lists_as_the_claims_grow(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    before = await _submit(
        client, extension, _bundle(fresh_ns, ["Honey bees dance to show where flowers are"])
    )
    assert await runtime.vectors.maintain() is None  # a handful of claims: one list is right
    filler = _sentences()[: CLUSTER_FROM + 300]
    assert len(filler) == CLUSTER_FROM + 300
    await _filler(runtime, fresh_ns, filler)
    await _submit(client, extension, _bundle(fresh_ns, ["Analyze makes the statistics current"]))
    async with runtime.db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE claims"))  # what the keeper's estimate reads

    rebuilt = await runtime.vectors.maintain()
    assert rebuilt is not None
    assert rebuilt.lists_before == 1
    assert rebuilt.lists_after == target_lists(rebuilt.vectors) > 1
    assert await _index_state(runtime) == (
        rebuilt.lists_after,
        [("ix_claims_embedding_ivf", True)],
    )
    assert await runtime.vectors.lists() == rebuilt.lists_after  # searches size themselves
    assert await runtime.vectors.maintain() is None  # right-sized now

    # Claims from before the rebuild and after it are found through the new lists.
    bees = before["created_claims"][0]["id"]
    after = await _submit(
        client, extension, _bundle(fresh_ns, ["Tardigrades survive the vacuum of space"])
    )
    water_bears = after["created_claims"][0]["id"]
    assert (await _found_by_search(client, extension, fresh_ns, "waggle dance of bees"))[0] == bees
    assert (await _found_by_search(client, extension, fresh_ns, "tardigrades in space"))[
        0
    ] == water_bears
    assert await _duplicate_of(
        client, extension, fresh_ns, "Tardigrades survive the vacuum of space."
    ) == [water_bears]


async def test_one_replica_rebuilds_at_a_time_and_a_failed_rebuild_is_cleaned_up(
    runtime: Any,
) -> None:
    lists, _ = await _index_state(runtime)
    async with runtime.db.engine.connect() as other:
        await other.execution_options(isolation_level="AUTOCOMMIT")
        assert await vector_repository.try_lock(other)  # another replica is rebuilding
        assert await runtime.vectors.rebuild(force=True) is None
        await vector_repository.unlock(other)
        # A rebuild interrupted midway leaves an invalid half-built index behind (here: a
        # concurrent build that failed), under the rebuild's name for it or, from earlier
        # versions, the name REINDEX CONCURRENTLY gives its copy.
        for name in ("ix_claims_embedding_ivf_next", "ix_claims_embedding_ivf_ccnew"):
            with pytest.raises(Exception, match="could not create unique index"):
                await other.execute(
                    text(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON claims (claim_type)")
                )
    assert ("ix_claims_embedding_ivf_next", False) in (await _index_state(runtime))[1]
    assert ("ix_claims_embedding_ivf_ccnew", False) in (await _index_state(runtime))[1]

    rebuilt = await runtime.vectors.rebuild(force=True)
    assert rebuilt is not None and rebuilt.lists_after == lists
    assert await _index_state(runtime) == (lists, [("ix_claims_embedding_ivf", True)])


async def test_a_rebuild_cut_short_between_drop_and_rename_is_finished(
    client: httpx.AsyncClient, runtime: Any, extension: Headers, fresh_ns: str
) -> None:
    made = await _submit(
        client, extension, _bundle(fresh_ns, ["Honey never spoils in sealed jars"])
    )
    honey = made["created_claims"][0]["id"]
    lists, _ = await _index_state(runtime)
    width = runtime.embedder.dimension
    async with runtime.db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # The rebuild built its index and dropped the old one, then stopped.
        await conn.execute(
            text(
                "CREATE INDEX CONCURRENTLY ix_claims_embedding_ivf_next ON claims USING ivfflat "
                f"((embedding::halfvec({width})) halfvec_cosine_ops) WITH (lists = {lists})"
            )
        )
        await conn.execute(text("DROP INDEX CONCURRENTLY ix_claims_embedding_ivf"))
    runtime.vectors._shape.clear()
    assert await runtime.vectors.lists() == lists  # searches use the new one meanwhile
    assert (await _found_by_search(client, extension, fresh_ns, "honey that never spoils"))[
        0
    ] == honey

    assert await runtime.vectors.maintain() is None  # the keeper's next round finishes it
    assert await _index_state(runtime) == (lists, [("ix_claims_embedding_ivf", True)])


async def test_a_rebuild_never_makes_a_bundle_wait(
    client: httpx.AsyncClient, runtime: Any, extension: Headers, fresh_ns: str
) -> None:
    """While a writer's transaction stays open, a rebuild waits for it, and bundles go on
    meanwhile, their near-duplicate check included (no step of the rebuild takes a lock that
    writers or readers of the index conflict with)."""
    import asyncio

    async with runtime.db.session() as session:
        # A writer holding the vector index (as every bundle does while it commits).
        await session.execute(
            text(
                "UPDATE claims SET embedding = embedding WHERE id = "
                "(SELECT id FROM claims WHERE embedding IS NOT NULL LIMIT 1)"
            )
        )
        rebuild = asyncio.create_task(runtime.vectors.rebuild(force=True))
        await asyncio.sleep(0.5)  # the rebuild is under way, waiting for this transaction
        assert not rebuild.done()
        done = await asyncio.wait_for(
            _submit(client, extension, _bundle(fresh_ns, ["Sloths can hold their breath"])), 10
        )
        assert done["status"] == "accepted"
    rebuilt = await asyncio.wait_for(rebuild, 60)
    assert rebuilt is not None
    assert await _index_state(runtime) == (rebuilt.lists_after, [("ix_claims_embedding_ivf", True)])


def _sentences() -> list[str]:
    """Real English sentences, the same on every run: the standard library's docstrings."""
    import argparse
    import asyncio
    import collections
    import email.message
    import http.client
    import json
    import logging
    import pathlib
    import subprocess
    import threading
    import unittest
    import urllib.request
    import zipfile

    found: set[str] = set()
    modules = [argparse, asyncio, collections, email.message, http.client, json, logging]
    modules += [pathlib, subprocess, threading, unittest, urllib.request, zipfile]
    documented = [
        member
        for module in modules
        for value in vars(module).values()
        if inspect.isclass(value) or inspect.isfunction(value)
        for member in (value, *(vars(value).values() if inspect.isclass(value) else ()))
        if inspect.isclass(member) or inspect.isfunction(member)
    ]
    for value in documented:
        doc = " ".join((inspect.getdoc(value) or "").split())
        for sentence in re.split(r"(?<=[.!?])\s+", doc):
            if 40 <= len(sentence) <= 200 and sentence[0].isupper() and sentence[-1] == ".":
                found.add(sentence)
    return sorted(found)


def _variant(sentence: str, number: int) -> str:
    """A near-duplicate: what a second extraction of the same statement could read."""
    words = sentence.rstrip(".").split()
    if number % 3 == 0:
        return " ".join(words).lower()
    if number % 3 == 1:
        return "In short, " + sentence[0].lower() + sentence[1:]
    del words[len(words) // 2]
    return " ".join(words) + "."


async def test_near_duplicates_of_real_sentences_are_found_through_one_list(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    sentences = _sentences()[:1500]
    assert len(sentences) >= 1000
    ns = f"{fresh_ns}.docs"
    for start in range(0, len(sentences), 500):
        await _submit(client, extension, _bundle(ns, sentences[start : start + 500]))
    # Every claim of the module counts for the sizing; rebuild for them now.
    rebuilt = await runtime.vectors.rebuild(force=True)
    assert rebuilt is not None and rebuilt.lists_after > 1

    stored = np.asarray(await runtime.embedder.embed(sentences))
    variants = [_variant(s, i) for i, s in enumerate(sentences[::5])]
    queries = np.asarray(await runtime.embedder.embed(variants))
    similarity = queries @ stored.T  # unit vectors: exact cosine similarities
    near = [i for i in range(len(variants)) if similarity[i].max() > DUPLICATE_SIMILARITY]
    assert len(near) >= 100  # enough near-duplicates to measure

    async with runtime.db.session() as session:
        found = await bundles_repository.nearest_claims(
            session, [queries[i].tolist() for i in near], min_similarity=DUPLICATE_SIMILARITY
        )
    recall = sum(hit is not None for hit in found) / len(near)
    print(f"near-duplicate recall through one of {rebuilt.lists_after} lists: {recall:.3f}")
    assert recall >= 0.95

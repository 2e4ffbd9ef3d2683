"""Phiacta's speed targets on these 2 cores: prints a table, writes JSON.

    .venv/bin/python bench/phiacta.py [--claims 5000] [--bundle 500] [--queries 100]

The default graph is small, for a quick run; the issue's figure is ``--claims 100000``.

- ingestion: a generated graph submitted as bundles of ``--bundle`` claims through the real
  ``BundleService`` (validation, near-duplicate check, claims, provenance, edges, audit, events,
  one transaction per bundle); each claim has an edge to an earlier claim of its bundle and one
  to a claim of an earlier bundle. The vectors are precomputed (seeded unit vectors), so the
  figure is the storage path alone (target >= 2000 claims/s); the local ONNX encoder is timed
  apart on one bundle's texts and reported as its own claims/s;
- vector index: the IVFFlat index is fed inside each bundle's transaction, so a claim is
  indexed when its bundle is acknowledged; the index keeper (``phiacta.vectors``) runs beside
  ingestion as in every replica and re-learns the lists as the graph grows (a new index built
  concurrently, swapped in): the table gives its rebuilds and their time (included in the
  ingestion figure, which they share the two cores with);
- search: p50/p95 of full-text, semantic and hybrid queries (top 20) through ``QueryService``,
  the query embedded by the local encoder as in production (its time is inside the figure and
  also reported alone); target p95 < 50 ms;
- traversal: depth 5, both directions, the default 100-node cap, p50 (target < 100 ms).

The database is ``DATABASE_URL`` when set, else the embedded PostgreSQL (a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import text

# This file's name is the package's: its folder (sys.path[0]) goes last, so that `phiacta`
# is the package and `report` is still found.
sys.path.append(sys.path.pop(0))

from report import report
from scratch import scratch_database

from phiacta.actor import Actor
from phiacta.background import run_rounds
from phiacta.bundles.schemas import BundleClaim, BundleEdge, BundleSource, BundleSubmit
from phiacta.config import Settings
from phiacta.main import VECTOR_CHECK_SECONDS
from phiacta.models import Agent
from phiacta.query.schemas import SearchRequest, TraverseRequest
from phiacta.runtime import open_phiacta
from phiacta.vectors.service import Rebuilt
from servicekit.app import settle_heap
from servicekit.embeddings import Embedder
from servicekit.embeddings.base import Vectors

TARGET_INGEST = 2000
TARGET_SEARCH_P95_MS = 50
TARGET_TRAVERSE_MS = 100
SEED = 7
CLAIM_TYPES = ["assertion", "observation", "hypothesis", "definition", "result"]
EDGE_TYPES = ["supports", "depends_on", "refines", "related_to", "derives_from"]


class PrecomputedEmbedder(Embedder):
    """Seeded unit vectors: ingestion is measured without the encoder's time."""

    def __init__(self, model_name: str, dimension: int) -> None:
        self.model_name = model_name
        self.dimension = dimension
        self.rng = np.random.default_rng(SEED)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return self.embed_sync(texts)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        vectors = self.rng.standard_normal((len(texts), self.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "abcdefghiklmnoprstuvy"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(4, 10))))
    return sorted(words)


def _bundle(
    rng: random.Random, words: list[str], number: int, size: int, earlier: list[uuid.UUID]
) -> BundleSubmit:
    claims = [
        BundleClaim(
            temp_id=f"c{i}",
            content=" ".join(rng.choices(words, k=rng.randint(8, 24))).capitalize() + ".",
            claim_type=rng.choice(CLAIM_TYPES),
            confidence=round(rng.random(), 2),
            attrs={"n": number * size + i},
        )
        for i in range(size)
    ]
    edges = [
        BundleEdge(
            source_temp_id=f"c{i}",
            target_temp_id=f"c{rng.randrange(i)}",
            edge_type=rng.choice(EDGE_TYPES),
            strength=round(rng.random(), 2),
        )
        for i in range(1, size)
    ]
    if earlier:
        edges += [
            BundleEdge(
                source_temp_id=f"c{i}", target_id=rng.choice(earlier), edge_type="related_to"
            )
            for i in range(size)
        ]
    return BundleSubmit(
        idempotency_key=f"bench-{number}",
        namespace="bench.graph",
        create_namespace=True,
        source=BundleSource(source_type="paper", title=f"Generated paper {number}"),
        claims=claims,
        edges=edges,
    )


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(statistics.quantiles(samples, n=20)[18], 2),
    }


async def _timed(calls: list[Any]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _run(url: str, total: int, size: int, queries: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    words = _vocabulary(rng)
    settings = Settings(_env_file=None, database_url=url, environment="development")
    async with open_phiacta(settings, migrate=True) as phiacta:
        settle_heap()  # as the app does once started
        encoder = phiacta.embedder
        phiacta.bundles.embedder = PrecomputedEmbedder(encoder.model_name, encoder.dimension)
        async with phiacta.db.session() as session:
            agent = Agent(agent_type="pipeline", name="bench")
            session.add(agent)
            await session.flush()
            actor = Actor(agent_id=agent.id, scopes=frozenset({"admin"}))

        # The encoder alone, on one bundle's texts (warmed up first).
        sample = _bundle(rng, words, -1, size, [])
        texts = [claim.content for claim in sample.claims]
        await encoder.embed(texts[:8])
        started = time.perf_counter()
        await encoder.embed(texts)
        encoder_rate = len(texts) / (time.perf_counter() - started)

        # The index keeper runs beside ingestion, as it does in every replica.
        stop = asyncio.Event()
        rebuilds: list[Rebuilt] = []

        async def keep_index() -> None:
            if (rebuilt := await phiacta.vectors.maintain()) is not None:
                rebuilds.append(rebuilt)

        keeper = asyncio.create_task(
            run_rounds("bench-vector-index", keep_index, stop, pause=VECTOR_CHECK_SECONDS)
        )
        earlier: list[uuid.UUID] = []
        ingest_s, seconds_per_bundle = 0.0, []
        bundles = total // size
        for number in range(bundles):
            body = _bundle(rng, words, number, size, earlier[-20_000:])
            started = time.perf_counter()
            response, replay = await phiacta.bundles.submit(body, actor)
            elapsed = time.perf_counter() - started
            assert not replay
            ingest_s += elapsed
            seconds_per_bundle.append(elapsed)
            earlier += [made.id for made in response.created_claims]
            if number % 20 == 19 or number == bundles - 1:
                print(
                    f"  {len(earlier):>7} claims, last bundle {elapsed * 1000:.0f} ms, "
                    f"{len(earlier) / ingest_s:.0f} claims/s, "
                    f"index lists {await phiacta.vectors.lists()}",
                    flush=True,
                )
        stop.set()
        await keeper
        async with phiacta.db.session() as session:
            await session.execute(text("ANALYZE"))
            edge_count = await session.scalar(text("SELECT count(*) FROM edges"))

        phrases = [" ".join(rng.choices(words, k=rng.randint(1, 3))) for _ in range(queries)]
        await encoder.embed(phrases[:4])
        started = time.perf_counter()
        for phrase in phrases:
            await encoder.embed([phrase])
        query_embed_ms = (time.perf_counter() - started) * 1000 / len(phrases)

        async def search_times(modes: Sequence[str]) -> dict[str, dict[str, float]]:
            search: dict[str, dict[str, float]] = {}
            for mode in modes:
                requests = [SearchRequest(query=p, mode=mode, min_similarity=0) for p in phrases]
                await phiacta.query.search(requests[0])  # warm-up
                samples = await _timed(
                    [lambda r=r: phiacta.query.search(r) for r in requests]  # type: ignore[misc]
                )
                search[mode] = _ms(samples)
            return search

        # What autovacuum would do in time: statistics and the visibility map of the new rows.
        async with phiacta.db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE claims"))
        search = await search_times(("fulltext", "semantic", "hybrid"))

        starts = rng.sample(earlier, min(queries, len(earlier)))
        traversals = [TraverseRequest(start=s, max_depth=5) for s in starts]
        await phiacta.query.traverse(traversals[0])
        samples = await _timed(
            [lambda r=r: phiacta.query.traverse(r) for r in traversals]  # type: ignore[misc]
        )
        nodes = statistics.median(
            [len((await phiacta.query.traverse(r)).nodes) for r in traversals[:10]]
        )
    return {
        "claims": len(earlier),
        "edges": edge_count,
        "bundle_size": size,
        "ingest": {
            "claims_per_s": round(len(earlier) / ingest_s),
            "ms_per_bundle_p50": round(statistics.median(seconds_per_bundle) * 1000, 1),
            "ms_per_bundle_last": round(seconds_per_bundle[-1] * 1000, 1),
            "embedding": "precomputed (apart)",
            "target_claims_per_s": TARGET_INGEST,
        },
        "vector_index": {
            "lists": await phiacta.vectors.lists(),
            "search_probes": await phiacta.vectors.search_probes(),
            "rebuilds": [
                {"vectors": r.vectors, "lists": r.lists_after, "seconds": round(r.seconds, 2)}
                for r in rebuilds
            ],
        },
        "encoder": {"model": encoder.model_name, "claims_per_s": round(encoder_rate)},
        "search": {**search, "query_embedding_ms": round(query_embed_ms, 2)},
        "traverse_depth5": {**_ms(samples), "median_nodes": nodes},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5_000, help="100000 for the issue's graph")
    parser.add_argument("--bundle", type=int, default=500)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()

    async def run() -> dict[str, Any]:
        async with scratch_database("bench_phiacta") as url:
            return await _run(url, args.claims, args.bundle, args.queries)

    results = asyncio.run(run())
    ingest, search, walk = results["ingest"], results["search"], results["traverse_depth5"]
    index = results["vector_index"]

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    rows = [
        ("graph (claims / edges)", f"{results['claims']:,} / {results['edges']:,}"),
        (
            "acknowledged claims/s, index keeper beside it, embedding apart "
            f"({verdict(ingest['claims_per_s'] >= TARGET_INGEST)}"
            f" >= {TARGET_INGEST})",
            f"{ingest['claims_per_s']:,} claims/s",
        ),
        (
            f"  per bundle of {results['bundle_size']}, p50 / last",
            f"{ingest['ms_per_bundle_p50']:.0f} / {ingest['ms_per_bundle_last']:.0f} ms",
        ),
        (
            "  vector index rebuilds beside it (vectors -> lists, seconds)",
            ", ".join(
                f"{r['vectors']:,} -> {r['lists']} ({r['seconds']:.1f} s)"
                for r in index["rebuilds"]
            )
            or "none",
        ),
        (
            "  vector index lists / lists a search opens first",
            f"{index['lists']} / {index['search_probes']}",
        ),
        (
            f"local encoder ({results['encoder']['model']})",
            f"{results['encoder']['claims_per_s']:,} claims/s",
        ),
        ("query embedding (local encoder), mean", f"{search['query_embedding_ms']:.1f} ms"),
    ]
    for mode in ("fulltext", "semantic", "hybrid"):
        figures = search[mode]
        ok = figures["p95_ms"] < TARGET_SEARCH_P95_MS
        rows.append(
            (
                f"search {mode} p50 / p95 ({verdict(ok)} p95 < {TARGET_SEARCH_P95_MS} ms)",
                f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} ms",
            )
        )
    rows.append(
        (
            f"traversal depth 5 p50 ({verdict(walk['p50_ms'] < TARGET_TRAVERSE_MS)}"
            f" < {TARGET_TRAVERSE_MS} ms; median {walk['median_nodes']:.0f} nodes)",
            f"{walk['p50_ms']:.1f} ms",
        )
    )
    report("Phiacta", rows, results, "phiacta.json")


if __name__ == "__main__":
    main()

"""Full-text search and chunk look-ups, inside the caller's tenant and knowledge bases."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence

from sqlalchemy import Row, Text, cast, func, select
from sqlalchemy.dialects.postgresql import TSQUERY

from oyl.models import Chunk, Document, KnowledgeBase
from oyl.retrieval.schemas import Filters
from oyl.scoped import TenantRepository

# Combinations of the first lexemes only (66 pairs, 56 triples, 35 quadruples): a long question
# still makes a small query.
MAX_COMBINED_LEXEMES = {2: 12, 3: 8, 4: 7}
# The prefilters tried in turn, most selective first: the first that finds enough candidates wins.
SHARED_WORDS_LADDER = (4, 3, 2)


def any_word_query(text: str):
    """The question's words as an OR tsquery (stemmed, stop words dropped).

    ``plainto_tsquery`` ANDs every word, which a natural-language question almost never matches
    in full; ranking (``ts_rank``, by word frequency, normalised by length) then rewards the
    chunks matching most of them. Cover density (``ts_rank_cd``) ranked no better on our
    quality set and cost 50 % more time.
    """
    conjunction = func.plainto_tsquery("english", text)
    return cast(func.replace(cast(conjunction, Text), "&", "|"), TSQUERY)


def shared_words_query(lexemes: Sequence[str], shared: int) -> str | None:
    """A tsquery matching chunks that hold at least ``shared`` of the question's lexemes; None
    when the question has no more lexemes than that (the OR query is then as selective).

    With common words an OR query matches most chunks, and PostgreSQL must rank every match to
    find the best: at 10 000 chunks of a small vocabulary that took 165 ms (p50). Chunks sharing
    several words with the question are the ones worth ranking, and the GIN index finds them
    alone (52 ms with two shared words, 23 ms trying three first). Ranking is what costs
    (~10 us a match): a seven-word question still matched 3 000 of those chunks with three
    shared words (45 ms), a few hundred with four.
    """
    if len(lexemes) <= shared:
        return None
    quoted = [_quoted(lexeme) for lexeme in lexemes[: MAX_COMBINED_LEXEMES[shared]]]
    groups = ["(" + " & ".join(group) + ")" for group in itertools.combinations(quoted, shared)]
    return " | ".join(groups)


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery literal: quotes doubled, backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class RetrievalRepository(TenantRepository):
    def _in_scope(self, query, kb_ids: Sequence[uuid.UUID], filters: Filters):
        query = query.where(
            Chunk.tenant_id == self.tenant_id,
            Chunk.knowledge_base_id.in_(kb_ids),
            Chunk.enabled.is_(True),
        )
        if filters.document_ids:
            query = query.where(Chunk.document_id.in_(filters.document_ids))
        if filters.pages is not None:
            first, last = filters.pages
            query = query.where(Chunk.page.between(first, last))
        if filters.media_types:
            query = query.where(
                Chunk.document_id.in_(
                    select(Document.id).where(
                        Document.tenant_id == self.tenant_id,
                        Document.media_type.in_(filters.media_types),
                    )
                )
            )
        return query

    async def lexical(
        self, text: str, kb_ids: Sequence[uuid.UUID], filters: Filters, limit: int
    ) -> list[uuid.UUID]:
        """Chunk ids by full-text rank, looking first among the chunks sharing four, then three,
        then two words with the question, and ranking every chunk with any of its words only
        when those are too few."""
        lexemes = sorted(
            await self.session.scalar(
                select(func.tsvector_to_array(func.to_tsvector("english", text)))
            )
            or []
        )
        ranked_by = any_word_query(text)
        for shared in SHARED_WORDS_LADDER:
            matching = shared_words_query(lexemes, shared)
            if matching is not None:
                found = await self._ranked(
                    cast(matching, TSQUERY), ranked_by, kb_ids, filters, limit
                )
                if len(found) >= limit:
                    return found
        return await self._ranked(ranked_by, ranked_by, kb_ids, filters, limit)

    async def _ranked(
        self, matching, ranked_by, kb_ids: Sequence[uuid.UUID], filters: Filters, limit: int
    ) -> list[uuid.UUID]:
        rank = func.ts_rank(Chunk.search, ranked_by, 1)
        query = self._in_scope(select(Chunk.id), kb_ids, filters).where(
            Chunk.search.op("@@")(matching)
        )
        rows = await self.session.scalars(query.order_by(rank.desc(), Chunk.id).limit(limit))
        return list(rows.all())

    async def embedding_models(
        self, kb_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, str]]:
        """(name, embedding model) of each knowledge base."""
        rows = await self.session.execute(
            select(KnowledgeBase.id, KnowledgeBase.name, KnowledgeBase.embedding_model).where(
                KnowledgeBase.tenant_id == self.tenant_id, KnowledgeBase.id.in_(kb_ids)
            )
        )
        return {row.id: (row.name, row.embedding_model) for row in rows.all()}

    async def chunks(
        self, ids: Sequence[uuid.UUID], kb_ids: Sequence[uuid.UUID], filters: Filters
    ) -> dict[uuid.UUID, Row]:
        """The candidates that are still in scope (enabled, filtered), with their documents."""
        if not ids:
            return {}
        query = self._in_scope(
            select(
                Chunk.id,
                Chunk.document_id,
                Chunk.knowledge_base_id,
                Chunk.page,
                Chunk.section,
                Chunk.text,
                Document.name.label("document_name"),
            ).join(
                Document,
                (Document.id == Chunk.document_id) & (Document.tenant_id == Chunk.tenant_id),
            ),
            kb_ids,
            filters,
        ).where(Chunk.id.in_(ids))
        return {row.id: row for row in (await self.session.execute(query)).all()}

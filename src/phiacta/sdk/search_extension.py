"""The reference output extension: hybrid search over the backend, optionally with each hit's
evidence neighbourhood (``include=["edges"]``)."""

from __future__ import annotations

from typing import Any

from phiacta.sdk.client import PhiactaClient
from phiacta.sdk.extension import OutputExtension, QueryRequest, QueryResponse


class SearchExtension(OutputExtension):
    name = "hybrid-search"
    version = "1.0.0"
    description = "Hybrid (full-text + semantic) search of the claims, ranked by RRF."

    def __init__(self, client: PhiactaClient) -> None:
        self.client = client

    async def query(self, request: QueryRequest) -> QueryResponse:
        answer = await self.client.search(
            request.query, top_k=request.top_k, filters=request.filters, highlight=True
        )
        results: list[dict[str, Any]] = []
        for hit in answer["results"]:
            result = {
                "claim_id": hit["claim"]["id"],
                "content": hit["claim"]["content"],
                "score": hit["score"],
                "highlight": hit.get("highlight"),
            }
            if "edges" in request.include:
                claim = await self.client.get_claim(hit["claim"]["id"], include=["edges"])
                result["edges"] = claim.get("edges", [])
            results.append(result)
        return QueryResponse(
            results=results,
            total_matches=answer["total_matches"],
            metadata={"mode": answer["mode"], "search_time_ms": answer["search_time_ms"]},
        )

"""Embeddings from Ollama's native ``POST /api/embed`` endpoint.

The native endpoint (rather than Ollama's OpenAI-compatible ``/v1``) lets the kit ask Ollama to
truncate over-long inputs instead of failing, and to keep the model loaded between requests.
"""

from __future__ import annotations

from typing import Any

import httpx

from servicekit.embeddings.base import BatchedRemoteEmbedder, EmbeddingError, Vectors, normalised

DEFAULT_BASE_URL = "http://localhost:11434"
DEFAULT_MODEL = "nomic-embed-text"
DEFAULT_BATCH_SIZE = 64

# Widths of popular Ollama embedding models whose every tag has the same width; any other model
# needs an explicit EMBEDDING_DIMENSIONS.
_KNOWN_WIDTHS = {
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "all-minilm": 384,
    "bge-m3": 1024,
}


class OllamaEmbedder(BatchedRemoteEmbedder):
    """Vectors from an Ollama server's ``/api/embed``.

    ``dimensions``, when given, is sent to Ollama (which shortens vectors of models that allow
    it) and is the width every answer is checked against.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        base_url: str = DEFAULT_BASE_URL,
        dimensions: int | None = None,
        timeout: float = 60.0,
        keep_alive: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        width = dimensions or _KNOWN_WIDTHS.get(model.split(":", 1)[0])
        if width is None:
            raise ValueError(
                f"the width of Ollama {model!r} vectors is unknown: set EMBEDDING_DIMENSIONS"
            )
        self.model_name = model
        self.dimension = width
        self.batch_size = batch_size
        self._dimensions = dimensions
        self._keep_alive = keep_alive
        base = base_url.rstrip("/")
        # Connection failures (Ollama restarting) are retried; HTTP errors are not.
        self._async = httpx.AsyncClient(
            base_url=base, timeout=timeout, transport=httpx.AsyncHTTPTransport(retries=2)
        )
        self._sync = httpx.Client(
            base_url=base, timeout=timeout, transport=httpx.HTTPTransport(retries=2)
        )

    async def _embed_batch(self, chunk: list[str]) -> Vectors:
        try:
            response = await self._async.post("/api/embed", json=self._request(chunk))
        except httpx.HTTPError as exc:
            raise self._error(exc) from exc
        return self._vectors(response, len(chunk))

    def _embed_batch_sync(self, chunk: list[str]) -> Vectors:
        try:
            response = self._sync.post("/api/embed", json=self._request(chunk))
        except httpx.HTTPError as exc:
            raise self._error(exc) from exc
        return self._vectors(response, len(chunk))

    async def aclose(self) -> None:
        await self._async.aclose()
        self._sync.close()

    def _request(self, chunk: list[str]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model_name, "input": chunk, "truncate": True}
        if self._dimensions is not None:
            request["dimensions"] = self._dimensions
        if self._keep_alive is not None:
            request["keep_alive"] = self._keep_alive
        return request

    def _vectors(self, response: httpx.Response, count: int) -> Vectors:
        if response.is_error:
            raise EmbeddingError(
                f"Ollama {self.model_name} at {self._async.base_url} answered "
                f"{response.status_code}: {_error_message(response)}"
            )
        try:
            embeddings = response.json()["embeddings"]
        except (ValueError, KeyError) as exc:
            raise EmbeddingError(
                f"Ollama answered without embeddings: {response.text[:200]}"
            ) from exc
        return normalised(embeddings, self.dimension, count)

    def _error(self, exc: httpx.HTTPError) -> EmbeddingError:
        return EmbeddingError(f"Ollama at {self._async.base_url} unreachable: {exc!r}")


def _error_message(response: httpx.Response) -> str:
    """Ollama reports failures as ``{"error": "..."}``; anything else is shown raw."""
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]

"""Embeddings from any endpoint speaking OpenAI's ``POST /v1/embeddings``.

That covers OpenAI itself and the servers that copy its protocol: llama.cpp's server, vLLM,
Ollama's ``/v1``, LM Studio, LocalAI, Mistral, Together... The official ``openai`` SDK does the
HTTP, retries and base64 decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import openai
from openai.types import CreateEmbeddingResponse

from servicekit.embeddings.base import BatchedRemoteEmbedder, EmbeddingError, Vectors, normalised

DEFAULT_MODEL = "text-embedding-3-small"
# OpenAI's limit is 2048 inputs per request; smaller requests keep each one well under its
# 300k-token ceiling and let a failure retry less work.
DEFAULT_BATCH_SIZE = 256


@dataclass(frozen=True)
class _ModelInfo:
    width: int
    shortenable: bool


# OpenAI's own models. Only text-embedding-3 accepts a `dimensions` request (it returns a
# shortened, re-normalised vector); sending it to other models or servers is an error on some.
_KNOWN_MODELS = {
    "text-embedding-3-small": _ModelInfo(1536, True),
    "text-embedding-3-large": _ModelInfo(3072, True),
    "text-embedding-ada-002": _ModelInfo(1536, False),
}


class OpenAICompatibleEmbedder(BatchedRemoteEmbedder):
    """Vectors from an OpenAI-compatible ``/embeddings`` endpoint.

    ``dimensions`` is the width the caller wants. For text-embedding-3 models a smaller width is
    requested from the API; for every other model it is the width the server is expected to
    return (and each answer is checked against it), because most compatible servers cannot
    shorten vectors. It may be left out for OpenAI's own models, whose widths are known.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        known = _KNOWN_MODELS.get(model)
        width = dimensions or (known.width if known else None)
        if width is None:
            raise ValueError(
                f"the width of {model!r} vectors is unknown: set EMBEDDING_DIMENSIONS to it"
            )
        if known and width != known.width and not known.shortenable:
            raise ValueError(f"{model} only returns {known.width}-dimensional vectors, not {width}")
        if base_url is None and not api_key:
            raise ValueError("OpenAI's API needs a key: set OPENAI_API_KEY (or EMBEDDING_BASE_URL)")
        self.model_name = model
        self.dimension = width
        self.batch_size = batch_size
        self._request_dimensions = width if known and width != known.width else None
        # Local servers take no key, but the SDK refuses to start without one.
        client_options = {
            "api_key": api_key or "no-key",
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._async = openai.AsyncOpenAI(**client_options)
        self._sync = openai.OpenAI(**client_options)

    async def _embed_batch(self, chunk: list[str]) -> Vectors:
        try:
            response = await self._async.embeddings.create(**self._request(chunk))
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return self._vectors(response, len(chunk))

    def _embed_batch_sync(self, chunk: list[str]) -> Vectors:
        try:
            response = self._sync.embeddings.create(**self._request(chunk))
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return self._vectors(response, len(chunk))

    async def aclose(self) -> None:
        await self._async.close()
        self._sync.close()

    def _request(self, chunk: list[str]) -> dict[str, object]:
        request: dict[str, object] = {"model": self.model_name, "input": chunk}
        if self._request_dimensions is not None:
            request["dimensions"] = self._request_dimensions
        return request

    def _vectors(self, response: CreateEmbeddingResponse, count: int) -> Vectors:
        # The protocol numbers each vector; servers are not bound to answer in input order.
        ordered = sorted(response.data, key=lambda item: item.index)
        return normalised([item.embedding for item in ordered], self.dimension, count)

    def _error(self, exc: openai.OpenAIError) -> EmbeddingError:
        return EmbeddingError(f"{self.model_name} at {self._async.base_url}: {exc}")
